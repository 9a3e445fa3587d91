package verify

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/ledger"
)

// PointsReversals: what refunds took back of earned points (ADR 0023) is what
// the ledger says, never more than was earned, and a refund's record holds
// only while the refund stands.
const PointsReversals = "points_reversals_reconcile"

// pointsReversals checks, beside pointsReconcile's earned - spent - expired -
// reversed = balance: per customer, the points_reverse journals' net debit to
// points:{customer} = the points the standing reversals took from the
// customer; per earning, the reversals (not given back) <= what it earned;
// per refund, a failed one has given every point back, and a succeeded one's
// shortfall is booked to the PG's receivable by its own journal.
func (v *verifier) pointsReversals(ctx context.Context) (Result, error) {
	res := Result{Name: PointsReversals}
	var got, want map[string]int64
	var err error
	if got, err = v.sums(ctx, `SELECT substr(p.account, 8) || '/' || p.currency, sum(p.amount)::bigint
		FROM journal_postings p JOIN journal_transactions t ON t.id = p.transaction_id
		WHERE t.kind = $1 AND p.account LIKE 'points:%' AND p.account NOT IN ('points:funding', 'points:expired')
		GROUP BY 1`, ledger.KindPointsReverse); err != nil {
		return res, err
	}
	if want, err = v.sums(ctx, `SELECT customer_id || '/' || currency, sum(taken)::bigint FROM points_reversals
		WHERE restored_at IS NULL GROUP BY 1`); err != nil {
		return res, err
	}
	for k := range want {
		got[k] += 0
	}
	for k, g := range got {
		res.Checked++
		if g != want[k] {
			res.Breaches = append(res.Breaches, fmt.Sprintf("points %s: reversal journals took %d, reversal records %d", k, g, want[k]))
		}
	}
	over, err := v.sums(ctx, `SELECT r.source_key, sum(r.points)::bigint - max(b.amount) FROM points_reversals r
		LEFT JOIN points_buckets b ON b.source_key = r.source_key
		WHERE r.restored_at IS NULL GROUP BY r.source_key
		HAVING max(b.amount) IS NULL OR sum(r.points) > max(b.amount)`)
	if err != nil {
		return res, err
	}
	for k, n := range over {
		res.Breaches = append(res.Breaches, fmt.Sprintf("earning %s: reversed %d more than it earned", k, n))
	}
	bad, err := v.sums(ctx, `SELECT f.id || ' ' || f.status, f.due - COALESCE(f.booked, 0) FROM (
			SELECT rf.id, rf.status, sum(r.shortfall)::bigint AS due,
			       (SELECT sum(p.amount) FROM journal_transactions t JOIN journal_postings p ON p.transaction_id = t.id
			        WHERE t.idempotency_key = 'refund:' || rf.id || ':points-shortfall' AND p.account LIKE 'pg:%')::bigint AS booked,
			       count(*) AS reversals
			FROM points_reversals r JOIN refunds rf ON rf.id = r.refund_id
			WHERE r.restored_at IS NULL GROUP BY rf.id, rf.status) f
		WHERE f.status = 'failed' OR (f.status = 'succeeded' AND f.due <> COALESCE(f.booked, 0))`)
	if err != nil {
		return res, err
	}
	for k, n := range bad {
		res.Breaches = append(res.Breaches, fmt.Sprintf("refund %s: points reversal standing, shortfall not booked %d", k, n))
	}
	return res, nil
}

// sums reads key -> amount rows.
func (v *verifier) sums(ctx context.Context, query string, args ...any) (map[string]int64, error) {
	rows, err := v.src.Pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}
