package activities_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/testenv"
)

// capturedPayment creates a customer, a method and a payment of 15,000 for two
// producers, through the real activities, and books its capture.
func capturedPayment(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	q := db.New(pool)
	_, err := q.CreateCustomer(ctx, db.CreateCustomerParams{ID: "cus_1", ExternalID: "ext-1", Name: "Kim"})
	require.NoError(t, err)
	keys, err := pii.New(strings.Repeat("s", 32)) // billing keys are stored sealed
	require.NoError(t, err)
	m := &activities.Methods{Pool: pool, Keys: keys}
	require.NoError(t, m.SaveMethod(ctx, activities.SaveMethodInput{MethodID: "pm_1", CustomerID: "cus_1", Kind: "card",
		BillingKeys: []activities.BillingKeyResult{{PG: "alpha", BillingKey: "bk_1", CardLast4: "1111", CardType: "credit"}}}))
	s := &activities.Store{Pool: pool}
	in := activities.CreatePaymentInput{PaymentID: "pay_1", OrderID: "o-1", CustomerID: "cus_1", MethodID: "pm_1",
		Currency: "KRW", Amount: 15_000, FeeBPS: 300, WorkflowID: "checkout-o-1",
		Items: []activities.ItemInput{{ProducerID: "A", Amount: 10_000}, {ProducerID: "B", Amount: 5_000}}}
	require.NoError(t, s.CreatePayment(ctx, in))
	require.NoError(t, s.CreatePayment(ctx, in), "a retried create changes nothing")
	l := &activities.Ledger{Pool: pool}
	posting := activities.PostCaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1"}
	require.NoError(t, l.PostCapture(ctx, posting))
	require.NoError(t, l.PostCapture(ctx, posting), "a retried posting changes nothing")
}

func balance(t *testing.T, pool *pgxpool.Pool, account string) int64 {
	t.Helper()
	b, err := db.New(pool).AccountBalance(context.Background(), db.AccountBalanceParams{Account: account, Currency: "KRW"})
	require.NoError(t, err)
	return b
}

func TestPostCaptureBooksOnceAndSucceedsThePayment(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()

	pay, err := db.New(pool).GetPayment(ctx, "pay_1")
	require.NoError(t, err)
	require.Equal(t, "succeeded", pay.Status)
	require.Equal(t, int64(15_000), pay.CapturedAmount)
	require.Equal(t, int64(450), pay.FeeAmount)
	require.Equal(t, int64(15_000), balance(t, pool, "pg:alpha:receivable"))
	// Pending until the purchase is confirmed: gross shares, no commission yet.
	require.True(t, pay.SettlesOnConfirm)
	require.Equal(t, int64(-10_000), balance(t, pool, "producer:A:pending"))
	require.Equal(t, int64(-5_000), balance(t, pool, "producer:B:pending"))
	require.Equal(t, int64(0), balance(t, pool, "producer:A:payable"))
	require.Equal(t, int64(0), balance(t, pool, "revenue:fees"))

	events, err := db.New(pool).ListPaymentEvents(ctx, "pay_1")
	require.NoError(t, err)
	var steps []string
	for _, e := range events {
		steps = append(steps, e.Step)
	}
	require.Equal(t, []string{"created", "captured", "ledger_posted"}, steps)
}

// Concurrent refunds of one payment can never give back more than was captured.
func TestConcurrentRefundsNeverExceedTheCapture(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	r := &activities.Refunds{Pool: pool}
	l := &activities.Ledger{Pool: pool}

	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "rf_" + string(rune('a'+i))
			_, errs[i] = r.ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: id, PaymentID: "pay_1", Amount: 2_000, Kind: "partial"})
			if errs[i] == nil {
				errs[i] = l.PostRefund(ctx, activities.PostRefundInput{RefundID: id})
			}
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.True(t, activities.IsType(err, activities.ErrNotRefundable), "unexpected error: %v", err)
		}
	}
	require.Equal(t, 7, ok, "15,000 holds seven refunds of 2,000")
	pay, err := db.New(pool).GetPayment(ctx, "pay_1")
	require.NoError(t, err)
	require.Equal(t, int64(14_000), pay.RefundedAmount)
	require.Equal(t, "partially_refunded", pay.Status)
	require.Equal(t, int64(1_000), balance(t, pool, "pg:alpha:receivable"))

	// Cancelling the rest reverses the capture exactly, to the won.
	_, err = r.ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: "rf_rest", PaymentID: "pay_1", Kind: "cancel"})
	require.NoError(t, err)
	require.NoError(t, l.PostRefund(ctx, activities.PostRefundInput{RefundID: "rf_rest"}))
	for _, acct := range []string{"pg:alpha:receivable", "producer:A:payable", "producer:B:payable", "revenue:fees"} {
		require.Zero(t, balance(t, pool, acct), acct)
	}
	pay, err = db.New(pool).GetPayment(ctx, "pay_1")
	require.NoError(t, err)
	require.Equal(t, "canceled", pay.Status)
}

func TestReleasedRefundGivesTheAmountBack(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	r := &activities.Refunds{Pool: pool}
	_, err := r.ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 5_000, Kind: "partial"})
	require.NoError(t, err)
	rel := activities.ReleaseRefundInput{RefundID: "rf_1", Code: "cancel_refused"}
	require.NoError(t, r.ReleaseRefund(ctx, rel))
	require.NoError(t, r.ReleaseRefund(ctx, rel), "a retried release changes nothing")
	pay, err := db.New(pool).GetPayment(ctx, "pay_1")
	require.NoError(t, err)
	require.Equal(t, int64(0), pay.RefundedAmount)
	require.Equal(t, "succeeded", pay.Status)
	rf, err := db.New(pool).GetRefund(ctx, "rf_1")
	require.NoError(t, err)
	require.Equal(t, "failed", rf.Status)
}
