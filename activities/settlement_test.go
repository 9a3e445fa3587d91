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

const deadline = 20 * 24 * time.Hour

func confirm(t *testing.T, pool *pgxpool.Pool, producer string) activities.ItemState {
	t.Helper()
	s := &activities.Settlement{Pool: pool}
	st, err := s.Confirm(context.Background(), activities.ConfirmInput{
		ItemRef: activities.ItemRef{PaymentID: "pay_1", ProducerID: producer}, At: time.Now(), By: activities.ConfirmedByBuyer, Deadline: deadline})
	require.NoError(t, err)
	return st
}

func refund(t *testing.T, pool *pgxpool.Pool, id string, amount int64) {
	t.Helper()
	ctx := context.Background()
	_, err := (&activities.Refunds{Pool: pool}).ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: id, PaymentID: "pay_1", Amount: amount, Kind: "partial"})
	require.NoError(t, err)
	require.NoError(t, (&activities.Ledger{Pool: pool}).PostRefund(ctx, activities.PostRefundInput{RefundID: id}))
}

// A 10,000 and B 5,000 at 3%: A is confirmed (commission 300, VAT 30), then
// 6,000 is refunded (A's 4,000 after its confirmation, B's 2,000 before), then
// B is confirmed on what is left. Every figure to the won.
func TestConfirmationBooksCommissionAndVATAndRefundsSplitAtIt(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()

	st := confirm(t, pool, "A")
	require.Equal(t, int64(300), st.Commission)
	require.Equal(t, int64(30), st.VAT)
	require.Equal(t, int64(9_670), st.Net)
	require.WithinDuration(t, st.ConfirmedAt.Add(deadline), st.DueAt, time.Millisecond)
	again := confirm(t, pool, "A")
	require.Equal(t, st, again, "confirming twice answers the first confirmation")
	require.Zero(t, balance(t, pool, "producer:A:pending"))
	require.Equal(t, int64(-9_670), balance(t, pool, "producer:A:payable"))
	require.Equal(t, int64(-300), balance(t, pool, "revenue:fees"))
	require.Equal(t, int64(-30), balance(t, pool, "vat:payable"))

	refund(t, pool, "rf_1", 6_000)
	// A's 4,000 after confirmation: net 3,868, commission 120, VAT 12 given back.
	require.Equal(t, int64(-9_670+3_868), balance(t, pool, "producer:A:payable"))
	require.Equal(t, int64(-300+120), balance(t, pool, "revenue:fees"))
	require.Equal(t, int64(-30+12), balance(t, pool, "vat:payable"))
	// B's 2,000 before confirmation leaves settlement: only pending shrinks.
	require.Equal(t, int64(-3_000), balance(t, pool, "producer:B:pending"))

	st = confirm(t, pool, "B")
	// B's commission is 150 on 5,000, VAT 15; the refunded 2,000 carried 60 and 6.
	require.Equal(t, activities.ItemState{Commission: 90, VAT: 9, Net: 2_901}, activities.ItemState{Commission: st.Commission, VAT: st.VAT, Net: st.Net})
	require.Zero(t, balance(t, pool, "producer:B:pending"))
	require.Equal(t, int64(-2_901), balance(t, pool, "producer:B:payable"))
	require.Equal(t, int64(-180-90), balance(t, pool, "revenue:fees"))
	require.Equal(t, int64(-18-9), balance(t, pool, "vat:payable"))

	// The settlement entries say the same: A's sale and its refund, B's sale.
	var sales, refunds, commission, vat int64
	rows, err := pool.Query(ctx, `SELECT kind, net, commission, commission_vat FROM settlement_entries ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var kind string
		var n, c, v int64
		require.NoError(t, rows.Scan(&kind, &n, &c, &v))
		if kind == "sale" {
			sales += n
		} else {
			refunds += n
		}
		commission += c
		vat += v
	}
	require.NoError(t, rows.Err())
	require.Equal(t, int64(9_670+2_901), sales)
	require.Equal(t, int64(-3_868), refunds)
	require.Equal(t, -balance(t, pool, "revenue:fees"), commission)
	require.Equal(t, -balance(t, pool, "vat:payable"), vat)
}

// An item refunded in full before confirmation cannot be confirmed, and the
// attempt books nothing.
func TestConfirmingARefundedItemIsRejected(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	refund(t, pool, "rf_all", 15_000)
	s := &activities.Settlement{Pool: pool}
	_, err := s.Confirm(context.Background(), activities.ConfirmInput{
		ItemRef: activities.ItemRef{PaymentID: "pay_1", ProducerID: "A"}, At: time.Now(), By: activities.ConfirmedByBuyer, Deadline: deadline})
	require.True(t, activities.IsType(err, activities.ErrFulfilment), "got %v", err)
	require.Equal(t, activities.CodeItemRefunded, activities.FailureOf(err, "").Code)
	it, err := db.New(pool).GetPaymentItem(context.Background(), db.GetPaymentItemParams{PaymentID: "pay_1", ProducerID: "A"})
	require.NoError(t, err)
	require.False(t, it.ConfirmedAt.Valid)
	require.Zero(t, balance(t, pool, "revenue:fees"))
	require.Zero(t, balance(t, pool, "producer:A:payable"))
}

// The deadline check counts unpaid confirmed sales due soon and overdue, and
// raises one ops event per check.
func TestDeadlineCheckCountsAtRiskAndOverdue(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	confirm(t, pool, "A") // due in 20 days
	confirm(t, pool, "B")
	s := &activities.Settlement{Pool: pool}
	ctx := context.Background()
	r, err := s.CheckDeadlines(ctx, activities.CheckDeadlinesInput{CheckID: "chk-1", Now: time.Now()})
	require.NoError(t, err)
	require.Equal(t, activities.DeadlineReport{}, r, "nothing due within two days")
	r, err = s.CheckDeadlines(ctx, activities.CheckDeadlinesInput{CheckID: "chk-2", Now: time.Now().Add(deadline - 24*time.Hour)})
	require.NoError(t, err)
	require.Equal(t, activities.DeadlineReport{AtRisk: 2}, r)
	r, err = s.CheckDeadlines(ctx, activities.CheckDeadlinesInput{CheckID: "chk-3", Now: time.Now().Add(deadline + time.Hour)})
	require.NoError(t, err)
	require.Equal(t, activities.DeadlineReport{Overdue: 2, OverdueAmount: 9_670 + 4_835}, r)
	_, err = s.CheckDeadlines(ctx, activities.CheckDeadlinesInput{CheckID: "chk-3", Now: time.Now().Add(deadline + time.Hour)})
	require.NoError(t, err, "a retried check changes nothing")
	var events int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = $1`, activities.EventSettlementDeadline).Scan(&events))
	require.Equal(t, 2, events, "one alert per check that found something")
}
