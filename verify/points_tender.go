package verify

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/apportion"
	"github.com/paysaga/paysaga/ledger"
)

// Invariants of points as a checkout tender (issue 15, ADR 0022).
const (
	PointsHoldsWithinBalance = "points_holds_within_balance"
	PointsTenderBooked       = "points_tender_booked"
)

// tenderSplit is the card and wallet parts of the refund slice
// [before, before+amount) of a payment funded card + wallet + points, as the
// ledger splits it (apportion.Tenders in the order wallet, points, card).
func tenderSplit(card, wallet, points, before, amount int64) (cardPart, walletPart int64) {
	s := apportion.Tenders([]int64{wallet, points, card}, before, amount)
	return s[2], s[0]
}

// pointsHoldsWithinBalance: the points the active holds reserve never exceed
// the customer's points balance (the holds are taken under the customer's
// lock against balance - holds).
func (v *verifier) pointsHoldsWithinBalance(ctx context.Context) (Result, error) {
	res := Result{Name: PointsHoldsWithinBalance}
	rows, err := v.src.Pool.Query(ctx, `
		SELECT h.customer_id || '/' || h.currency, sum(h.amount)::bigint,
		       -COALESCE((SELECT sum(p.amount) FROM journal_postings p WHERE p.account = 'points:' || h.customer_id AND p.currency = h.currency), 0)::bigint
		FROM points_holds h WHERE h.status = 'active' GROUP BY h.customer_id, h.currency`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var held, balance int64
		if err := rows.Scan(&k, &held, &balance); err != nil {
			return res, err
		}
		res.Checked++
		if held > balance {
			res.Breaches = append(res.Breaches, fmt.Sprintf("points %s: %d held, balance %d", k, held, balance))
		}
	}
	return res, rows.Err()
}

// pointsTenderBooked: for every payment paid partly with points, the points
// part was spent once and exactly from buckets (points_spends = the
// points_spend journal = the payment's points_amount, once it succeeded),
// what refunds returned to buckets equals their points_refund journals, and
// points:clearing nets to zero within the payment's journals.
func (v *verifier) pointsTenderBooked(ctx context.Context) (Result, error) {
	res := Result{Name: PointsTenderBooked}
	rows, err := v.src.Pool.Query(ctx, `
		SELECT p.id, p.status, p.points_amount,
		       COALESCE((SELECT sum(s.amount) FROM points_spends s WHERE s.payment_id = p.id), 0)::bigint,
		       COALESCE((SELECT sum(jp.amount) FROM journal_postings jp JOIN journal_transactions t ON t.id = jp.transaction_id
		                 WHERE t.payment_id = p.id AND t.kind = $1 AND jp.account = 'points:' || p.customer_id), 0)::bigint,
		       COALESCE((SELECT sum(r.amount) FROM points_returns r JOIN refunds f ON f.id = r.refund_id WHERE f.payment_id = p.id), 0)::bigint,
		       -COALESCE((SELECT sum(jp.amount) FROM journal_postings jp JOIN journal_transactions t ON t.id = jp.transaction_id
		                 WHERE t.payment_id = p.id AND t.kind = $2 AND jp.account = 'points:' || p.customer_id), 0)::bigint,
		       COALESCE((SELECT sum(jp.amount) FROM journal_postings jp JOIN journal_transactions t ON t.id = jp.transaction_id
		                 WHERE t.payment_id = p.id AND jp.account = $3), 0)::bigint
		FROM payments p WHERE p.points_amount > 0`, ledger.KindPointsSpend, ledger.KindPointsRefund, ledger.PointsClearing)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var points, fromBuckets, spent, toBuckets, returned, clearing int64
		if err := rows.Scan(&id, &status, &points, &fromBuckets, &spent, &toBuckets, &returned, &clearing); err != nil {
			return res, err
		}
		res.Checked++
		booked := status == "succeeded" || status == "partially_refunded" || status == "refunded" || status == "canceled" && spent > 0
		switch {
		case booked && (spent != points || fromBuckets != points):
			res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s: points part %d, spent %d, taken from buckets %d", id, points, spent, fromBuckets))
		case !booked && (spent != 0 || fromBuckets != 0):
			res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s %s: spent %d points (%d from buckets)", id, status, spent, fromBuckets))
		}
		if toBuckets != returned || returned > spent {
			res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s: refunds returned %d points to buckets, journals %d, spent %d", id, toBuckets, returned, spent))
		}
		if clearing != 0 {
			res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s: points:clearing is off by %d", id, clearing))
		}
	}
	return res, rows.Err()
}
