package verify

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/ledger"
)

// DiscountsReconcile names the instant-discount invariant (issue 15).
const DiscountsReconcile = "instant_discounts_reconcile"

// discountsReconcile: the platform's discount account (ledger) holds exactly
// the instant discounts recorded on captured payments (payment_benefits)
// less the share their succeeded refunds reversed (ledger.SplitRefund, then
// ledger.SplitDiscount over the card part, as the refunds booked it), per
// currency.
func (v *verifier) discountsReconcile(ctx context.Context) (Result, error) {
	res := Result{Name: DiscountsReconcile}
	want := map[string]int64{}
	rows, err := v.src.Pool.Query(ctx, `SELECT p.currency, b.discount_amount FROM payment_benefits b JOIN payments p ON p.id = b.payment_id
		WHERE b.discount_amount > 0 AND p.status IN ('succeeded', 'partially_refunded', 'refunded', 'canceled') AND p.captured_amount > 0`)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var cur string
		var d int64
		if err := rows.Scan(&cur, &d); err != nil {
			rows.Close()
			return res, err
		}
		want[cur] += d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	rows, err = v.src.Pool.Query(ctx, `SELECT p.currency, p.amount - p.wallet_amount, p.wallet_amount, b.discount_amount, r.refunded_before, r.amount
		FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN payment_benefits b ON b.payment_id = p.id
		WHERE r.status = 'succeeded' AND b.discount_amount > 0`)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var cur string
		var card, wallet, discount, before, amount int64
		if err := rows.Scan(&cur, &card, &wallet, &discount, &before, &amount); err != nil {
			rows.Close()
			return res, err
		}
		cardBefore, _ := ledger.SplitRefund(card, wallet, 0, before)
		cardPart, _ := ledger.SplitRefund(card, wallet, before, amount)
		_, reversed := ledger.SplitDiscount(card-discount, discount, cardBefore, cardPart)
		want[cur] -= reversed
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	got, err := v.balance(ctx, ledger.InstantDiscounts)
	if err != nil {
		return res, err
	}
	for cur := range got {
		if _, ok := want[cur]; !ok {
			want[cur] = 0
		}
	}
	for cur, w := range want {
		res.Checked++
		if got[cur] != w {
			res.Breaches = append(res.Breaches, fmt.Sprintf("instant discounts %s: ledger %d, given - reversed = %d", cur, got[cur], w))
		}
	}
	return res, nil
}
