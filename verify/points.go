package verify

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/ledger"
)

// Points invariants (issue 15).
const (
	PointsNotNegative = "points_not_negative"
	PointsReconcile   = "points_balance_reconciles"
)

// pointsKinds are the journal kinds that may move a points:{customer} account;
// spend and reverse come with points as a tender and refunds of earned points.
var pointsKinds = map[string]bool{ledger.KindPointsEarn: true, ledger.KindPointsExpire: true, ledger.KindPointsSpend: true,
	ledger.KindPointsReverse: true, ledger.KindPointsRefund: true}

type pointsFigures struct {
	earned, spent, expired, reversed int64 // by journal kind, each as a positive amount
	returned                         int64 // given back by refunds of points spent as a tender
	balance                          int64 // what the ledger owes (minus the raw sum)
	buckets                          int64 // sum of the buckets' remaining points
	otherKinds                       []string
}

// pointsByCustomer reads every customer's points from the ledger, by kind, and from the buckets.
func (v *verifier) pointsByCustomer(ctx context.Context) (map[string]*pointsFigures, error) {
	out := map[string]*pointsFigures{}
	get := func(k string) *pointsFigures {
		if out[k] == nil {
			out[k] = &pointsFigures{}
		}
		return out[k]
	}
	rows, err := v.src.Pool.Query(ctx, `SELECT substr(p.account, 8) || '/' || p.currency, t.kind, sum(p.amount)::bigint
		FROM journal_postings p JOIN journal_transactions t ON t.id = p.transaction_id
		WHERE p.account LIKE 'points:%' AND p.account NOT IN ('points:funding', 'points:expired', 'points:clearing')
		GROUP BY p.account, p.currency, t.kind`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k, kind string
		var sum int64
		if err := rows.Scan(&k, &kind, &sum); err != nil {
			rows.Close()
			return nil, err
		}
		f := get(k)
		f.balance -= sum
		switch kind {
		case ledger.KindPointsEarn:
			f.earned -= sum
		case ledger.KindPointsExpire:
			f.expired += sum
		case ledger.KindPointsSpend:
			f.spent += sum
		case ledger.KindPointsRefund:
			f.returned -= sum
		case ledger.KindPointsReverse:
			f.reversed += sum
		}
		if !pointsKinds[kind] {
			f.otherKinds = append(f.otherKinds, kind)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	brows, err := v.src.Pool.Query(ctx, `SELECT customer_id || '/' || currency, sum(remaining)::bigint FROM points_buckets GROUP BY customer_id, currency`)
	if err != nil {
		return nil, err
	}
	defer brows.Close()
	for brows.Next() {
		var k string
		var rem int64
		if err := brows.Scan(&k, &rem); err != nil {
			return nil, err
		}
		get(k).buckets = rem
	}
	return out, brows.Err()
}

// pointsNotNegative: no customer's points balance is below zero.
func (v *verifier) pointsNotNegative(ctx context.Context) (Result, error) {
	res := Result{Name: PointsNotNegative}
	all, err := v.pointsByCustomer(ctx)
	if err != nil {
		return res, err
	}
	for k, f := range all {
		res.Checked++
		if f.balance < 0 {
			res.Breaches = append(res.Breaches, fmt.Sprintf("points %s are at %d", k, f.balance))
		}
	}
	return res, nil
}

// pointsReconcile: earned - spent - expired - reversed + returned = the
// ledger balance = the buckets' remaining points, and nothing else moves a
// points account.
func (v *verifier) pointsReconcile(ctx context.Context) (Result, error) {
	res := Result{Name: PointsReconcile}
	all, err := v.pointsByCustomer(ctx)
	if err != nil {
		return res, err
	}
	for k, f := range all {
		res.Checked++
		if want := f.earned - f.spent - f.expired - f.reversed + f.returned; want != f.balance || f.balance != f.buckets {
			res.Breaches = append(res.Breaches, fmt.Sprintf("points %s: earned %d - spent %d - expired %d - reversed %d + returned %d = %d; ledger %d; buckets %d",
				k, f.earned, f.spent, f.expired, f.reversed, f.returned, want, f.balance, f.buckets))
		}
		if len(f.otherKinds) > 0 {
			res.Breaches = append(res.Breaches, fmt.Sprintf("points %s moved by journal kinds %v", k, f.otherKinds))
		}
	}
	return res, nil
}
