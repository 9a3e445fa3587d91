package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/testenv"
)

func refundItems(t *testing.T, pool *pgxpool.Pool, id string, kind string, amount int64, items ...activities.RefundItem) int64 {
	t.Helper()
	ctx := context.Background()
	in := activities.ReserveRefundInput{RefundID: id, PaymentID: "pay_1", Amount: amount, Kind: kind, Items: items}
	r := &activities.Refunds{Pool: pool}
	claim, err := r.ReserveRefund(ctx, in)
	require.NoError(t, err)
	again, err := r.ReserveRefund(ctx, in)
	require.NoError(t, err)
	require.Equal(t, claim, again, "a retried claim returns the first")
	l := &activities.Ledger{Pool: pool}
	require.NoError(t, l.PostRefund(ctx, activities.PostRefundInput{RefundID: id}))
	require.NoError(t, l.PostRefund(ctx, activities.PostRefundInput{RefundID: id}), "a retried posting changes nothing")
	return claim.Amount
}

func owed(t *testing.T, pool *pgxpool.Pool, producer string) int64 {
	return -(balance(t, pool, "producer:"+producer+":pending") + balance(t, pool, "producer:"+producer+":payable"))
}

// A 10,000 and B 5,000 at 3%. A is confirmed; B's item is refunded by name
// before its confirmation: B's share becomes nothing, A is untouched. Then
// 3,333 of A by name after its confirmation (a negative settlement entry); an
// amount-only refund is spread over what is left (all of it A's); the cancel
// of the rest leaves every account at zero.
func TestItemRefundGivesBackThatItemOnly(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	confirm(t, pool, "A")

	require.EqualValues(t, 5_000, refundItems(t, pool, "rf_b", "partial", 0, activities.RefundItem{ProducerID: "B"}))
	require.Zero(t, owed(t, pool, "B"), "B's share became nothing")
	require.EqualValues(t, 9_670, owed(t, pool, "A"), "A untouched")
	require.EqualValues(t, -300, balance(t, pool, "revenue:fees"))
	require.EqualValues(t, -30, balance(t, pool, "vat:payable"))
	_, err := (&activities.Settlement{Pool: pool}).Confirm(ctx, activities.ConfirmInput{
		ItemRef: activities.ItemRef{PaymentID: "pay_1", ProducerID: "B"}, At: time.Now(), By: activities.ConfirmedByBuyer, Deadline: deadline})
	require.Equal(t, activities.CodeItemRefunded, activities.FailureOf(err, "").Code, "got %v", err)

	require.EqualValues(t, 3_333, refundItems(t, pool, "rf_a", "partial", 0, activities.RefundItem{ProducerID: "A", Amount: 3_333}))
	require.EqualValues(t, 9_670-3_225, owed(t, pool, "A"), "3,333 less its commission 99 and VAT 9")
	require.EqualValues(t, -300+99, balance(t, pool, "revenue:fees"))
	require.EqualValues(t, -30+9, balance(t, pool, "vat:payable"))
	var gross, commission, vat, net int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT gross, commission, commission_vat, net FROM settlement_entries
		WHERE journal_key = 'refund:rf_a' AND producer_id = 'A'`).Scan(&gross, &commission, &vat, &net))
	require.Equal(t, [4]int64{-3_333, -99, -9, -3_225}, [4]int64{gross, commission, vat, net}, "a negative adjustment of A's next settlement")

	// A's slice [3,333, 6,667) carries 200-99 of commission and 20-9 of VAT.
	require.EqualValues(t, 3_334, refundItems(t, pool, "rf_amt", "partial", 3_334))
	require.EqualValues(t, 9_670-3_225-3_222, owed(t, pool, "A"), "B has nothing left: the amount is all A's")
	require.Zero(t, owed(t, pool, "B"))

	require.EqualValues(t, 3_333, refundItems(t, pool, "rf_rest", "cancel", 0))
	for _, acc := range []string{"producer:A:pending", "producer:A:payable", "producer:B:pending", "producer:B:payable", "revenue:fees", "vat:payable", "pg:alpha:receivable"} {
		require.Zero(t, balance(t, pool, acc), acc)
	}
	pay, err := db.New(pool).GetPayment(ctx, "pay_1")
	require.NoError(t, err)
	require.Equal(t, "canceled", pay.Status)
	require.EqualValues(t, 15_000, pay.RefundedAmount)
}

// Naming an item the payment does not have, or more than is left of one,
// is refused before anything is claimed.
func TestItemRefundBadInputChangesNothing(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	refundItems(t, pool, "rf_b", "partial", 0, activities.RefundItem{ProducerID: "B", Amount: 2_000})
	r := &activities.Refunds{Pool: pool}
	for name, c := range map[string]struct {
		items []activities.RefundItem
		code  string
	}{
		"unknown item":          {[]activities.RefundItem{{ProducerID: "Z"}}, activities.CodeRefundItemNotFound},
		"more than is left":     {[]activities.RefundItem{{ProducerID: "B", Amount: 3_001}}, activities.CodeRefundExceedsItemRemains},
		"one good, one bad":     {[]activities.RefundItem{{ProducerID: "A", Amount: 1}, {ProducerID: "B", Amount: 3_001}}, activities.CodeRefundExceedsItemRemains},
		"more than the item":    {[]activities.RefundItem{{ProducerID: "A", Amount: 10_001}}, activities.CodeRefundExceedsItemRemains},
		"a refunded item again": {[]activities.RefundItem{{ProducerID: "B", Amount: 3_000}, {ProducerID: "B"}}, activities.CodeRefundExceedsItemRemains},
	} {
		_, err := r.ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: "rf_bad", PaymentID: "pay_1", Kind: "partial", Items: c.items})
		require.True(t, activities.IsType(err, activities.ErrNotRefundable), "%s: %v", name, err)
		require.Equal(t, c.code, activities.FailureOf(err, "").Code, name)
	}
	var refunds, items int
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM refunds), (SELECT count(*) FROM refund_items)`).Scan(&refunds, &items))
	require.Equal(t, [2]int{1, 1}, [2]int{refunds, items})
	pay, err := db.New(pool).GetPayment(ctx, "pay_1")
	require.NoError(t, err)
	require.EqualValues(t, 2_000, pay.RefundedAmount)
	require.EqualValues(t, 3_000, owed(t, pool, "B"))
	require.EqualValues(t, 10_000, owed(t, pool, "A"))
}
