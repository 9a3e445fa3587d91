package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/testenv"
)

// refundWithPoints runs a refund's database steps as the Refund workflow
// does: claim, take the points back (shortfall out of the card cash), book,
// book the shortfall; each retried once, which must change nothing.
func refundWithPoints(t *testing.T, pool *pgxpool.Pool, id, kind string, amount int64, items ...activities.RefundItem) activities.ReversePointsResult {
	t.Helper()
	ctx := context.Background()
	claim, err := (&activities.Refunds{Pool: pool}).ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: id, PaymentID: "pay_1", Amount: amount, Kind: kind, Items: items})
	require.NoError(t, err)
	p := &activities.Points{Pool: pool}
	in := activities.ReversePointsInput{RefundID: id, Cash: claim.Amount - claim.WalletAmount}
	rev, err := p.ReversePoints(ctx, in)
	require.NoError(t, err)
	again, err := p.ReversePoints(ctx, in)
	require.NoError(t, err)
	require.Equal(t, rev, again, "a retried reversal answers the first")
	require.NoError(t, (&activities.Ledger{Pool: pool}).PostRefund(ctx, activities.PostRefundInput{RefundID: id}))
	for range 2 {
		require.NoError(t, p.BookPointsShortfall(ctx, activities.BookPointsShortfallInput{RefundID: id}))
	}
	return rev
}

// customerPoints is what the ledger owes cus_1 in points; the buckets must say the same.
func customerPoints(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	owed := -balance(t, pool, ledger.Points("cus_1"))
	var inBuckets int64
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT COALESCE(sum(remaining), 0) FROM points_buckets WHERE customer_id = 'cus_1'`).Scan(&inBuckets))
	require.Equal(t, owed, inBuckets, "the buckets add up to the ledger")
	return owed
}

func earnAtCapture(t *testing.T, pool *pgxpool.Pool, at time.Time, validity time.Duration) {
	t.Helper()
	res, err := (&activities.Points{Pool: pool}).EarnPoints(context.Background(), activities.EarnPointsInput{
		PaymentID: "pay_1", CustomerID: "cus_1", Currency: "KRW", Base: 15_000, RateBPS: 333, At: at, Validity: validity})
	require.NoError(t, err)
	require.EqualValues(t, 499, res.Points, "3.33% of 15,000, rounded down")
}

// 499 points earned at capture on 15,000 of card come back in three slices
// in proportion to the card refunded (rounded down), the last slice taking
// the remainder: 133 + 166 + 200 = 499 exactly, nothing kept from the cash.
func TestRefundSlicesReverseCapturePointsExactly(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	earnAtCapture(t, pool, time.Now(), 24*time.Hour)

	for _, s := range []struct {
		id     string
		kind   string
		amount int64
		back   int64
	}{{"rf_1", "partial", 4_000, 133}, {"rf_2", "partial", 5_000, 166}, {"rf_3", "cancel", 0, 200}} {
		rev := refundWithPoints(t, pool, s.id, s.kind, s.amount)
		require.Equal(t, activities.ReversePointsResult{Points: s.back, Taken: s.back}, rev, s.id)
	}
	require.Zero(t, customerPoints(t, pool))
	require.Zero(t, balance(t, pool, ledger.PointsFunding), "every point issued came back")
	require.Zero(t, balance(t, pool, "pg:alpha:receivable"), "the PG refunded all of it")
}

// spendPoints stands in for the points tender (built beside this): n of the
// bucket are spent, as a points_spend journal, under the customer's lock.
func spendPoints(t *testing.T, pool *pgxpool.Pool, sourceKey string, n int64) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.LockCustomer(ctx, "cus_1"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE points_buckets SET remaining = remaining - $1 WHERE source_key = $2`, n, sourceKey); err != nil {
			return err
		}
		_, err := ledger.Post(ctx, q, ledger.Journal{Key: "test:spend:" + sourceKey, Kind: "points_spend", Postings: []ledger.Posting{
			{Account: ledger.Points("cus_1"), Currency: "KRW", Amount: n}, {Account: "test:points-redeemed", Currency: "KRW", Amount: -n}}})
		return err
	}))
}

// The customer spent the payment's 499 points and has 50 of another
// earning. A 4,000 refund owes 133: the 50 are taken, 83 are kept back from
// the card cash, so the PG refunds 3,917 and the ledger says so. Never below
// zero; the cancel of the rest keeps back all 366 it owes.
func TestRefundShortfallOfSpentPointsComesOutOfTheCash(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	earnAtCapture(t, pool, time.Now(), 24*time.Hour)
	_, err := (&activities.Points{Pool: pool}).EarnPoints(ctx, activities.EarnPointsInput{PaymentID: "pay_1", CustomerID: "cus_1", Currency: "KRW",
		Base: 5_000, RateBPS: 100, At: time.Now(), Validity: 48 * time.Hour, Key: "test:bonus"})
	require.NoError(t, err)
	spendPoints(t, pool, ledger.PointsEarnKey("pay_1"), 499)
	require.EqualValues(t, 50, customerPoints(t, pool))

	rev := refundWithPoints(t, pool, "rf_1", "partial", 4_000)
	require.Equal(t, activities.ReversePointsResult{Points: 133, Taken: 50, Shortfall: 83}, rev)
	require.Zero(t, customerPoints(t, pool), "never below zero")
	require.EqualValues(t, 15_000-4_000+83, balance(t, pool, "pg:alpha:receivable"), "the PG gave back 3,917")
	var shortfall int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT shortfall FROM points_reversals WHERE refund_id = 'rf_1'`).Scan(&shortfall))
	require.EqualValues(t, 83, shortfall, "the refund's record shows it")

	rev = refundWithPoints(t, pool, "rf_2", "cancel", 0)
	require.Equal(t, activities.ReversePointsResult{Points: 366, Shortfall: 366}, rev)
	require.EqualValues(t, 83+366, balance(t, pool, "pg:alpha:receivable"), "kept back: every point spent of the refunded part")
	require.EqualValues(t, 549-50-449, balance(t, pool, ledger.PointsFunding), "issued 549; 50 came back as points, 449 as cash")
}

// The payment's points expired before the refund: the customer already lost
// them, so the refund takes its 133 back from the breakage (points:expired)
// and pays its cash in full.
func TestRefundOfExpiredPointsUndoesTheBreakageNotTheCash(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	at := time.Now()
	earnAtCapture(t, pool, at.Add(-2*time.Hour), time.Hour)
	_, err := (&activities.Points{Pool: pool}).ExpirePoints(ctx, activities.ExpirePointsInput{Now: at, MaxRows: 10})
	require.NoError(t, err)
	require.Zero(t, customerPoints(t, pool))

	rev := refundWithPoints(t, pool, "rf_1", "partial", 4_000)
	require.Equal(t, activities.ReversePointsResult{Points: 133, FromExpired: 133}, rev)
	require.EqualValues(t, 11_000, balance(t, pool, "pg:alpha:receivable"), "the PG gave back all 4,000")
	require.EqualValues(t, -(499 - 133), balance(t, pool, ledger.PointsExpired))
	rev = refundWithPoints(t, pool, "rf_2", "cancel", 0)
	require.Equal(t, activities.ReversePointsResult{Points: 366, FromExpired: 366}, rev)
	require.Zero(t, balance(t, pool, ledger.PointsExpired)+balance(t, pool, ledger.PointsFunding))
}

// The PG refuses a refund whose points were taken: they go back into the
// bucket they came from; the next refund takes them again, once.
func TestRefusedRefundGivesThePointsBack(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	earnAtCapture(t, pool, time.Now(), 24*time.Hour)
	claim, err := (&activities.Refunds{Pool: pool}).ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: "rf_x", PaymentID: "pay_1", Amount: 4_000, Kind: "partial"})
	require.NoError(t, err)
	p := &activities.Points{Pool: pool}
	rev, err := p.ReversePoints(ctx, activities.ReversePointsInput{RefundID: "rf_x", Cash: claim.Amount})
	require.NoError(t, err)
	require.EqualValues(t, 133, rev.Taken)
	require.EqualValues(t, 499-133, customerPoints(t, pool))

	require.NoError(t, (&activities.Refunds{Pool: pool}).ReleaseRefund(ctx, activities.ReleaseRefundInput{RefundID: "rf_x", Code: "cancel_refused"}))
	for range 2 {
		require.NoError(t, p.RestorePoints(ctx, activities.RestorePointsInput{RefundID: "rf_x", At: time.Now()}))
	}
	require.EqualValues(t, 499, customerPoints(t, pool), "given back once")

	rev = refundWithPoints(t, pool, "rf_1", "partial", 4_000)
	require.EqualValues(t, 133, rev.Taken)
	require.EqualValues(t, 499-133, customerPoints(t, pool))
}

// Earning at confirmation, per item: A (10,000) confirms and earns 300;
// a 3,000 slice refund takes A's share of it back (2,000 of A: 60) and B,
// not yet confirmed, later earns only on what is left of it (4,000: 120,
// not 150); refunding B by name takes all of B's back, the cancel all of
// what is left of A's. Every point to the point.
func TestRefundsReverseItemPointsEarnedAtConfirmation(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	require.NoError(t, (&activities.Store{Pool: pool}).RecordBenefit(ctx, activities.RecordBenefitInput{PaymentID: "pay_1",
		Benefit: benefit.Result{RateBPS: 300, Points: 450}, AtConfirmation: true, Validity: 24 * time.Hour}))
	p := &activities.Points{Pool: pool}
	earnItem := func(producer string) int64 {
		confirm(t, pool, producer)
		res, err := p.EarnItemPoints(ctx, activities.EarnItemPointsInput{ItemRef: activities.ItemRef{PaymentID: "pay_1", ProducerID: producer}, At: time.Now()})
		require.NoError(t, err)
		return res.Points
	}
	require.EqualValues(t, 300, earnItem("A"))

	rev := refundWithPoints(t, pool, "rf_1", "partial", 3_000)
	require.EqualValues(t, 60, rev.Taken, "A's 2,000 of the slice")
	require.EqualValues(t, 120, earnItem("B"), "B earns on its 4,000 left")
	require.EqualValues(t, 300-60+120, customerPoints(t, pool))

	rev = refundWithPoints(t, pool, "rf_b", "partial", 0, activities.RefundItem{ProducerID: "B"})
	require.EqualValues(t, 120, rev.Taken, "all of B's")
	rev = refundWithPoints(t, pool, "rf_rest", "cancel", 0)
	require.EqualValues(t, 240, rev.Taken, "the rest of A's")
	require.Zero(t, customerPoints(t, pool))
	require.Zero(t, balance(t, pool, ledger.PointsFunding))
}

// Another checkout holds 400 of the customer's 499 points as a tender when a
// 4,000 refund owes 133: only the 99 not held may be taken, the other 34 are
// a shortfall out of the cash, and the hold's points are all still there for
// its spend (a reversal never leaves a held tender short).
func TestRefundNeverTakesPointsAnotherCheckoutHolds(t *testing.T) {
	pool := testenv.Pool(t)
	capturedPayment(t, pool)
	ctx := context.Background()
	earnAtCapture(t, pool, time.Now(), 24*time.Hour)
	s := &activities.Store{Pool: pool}
	require.NoError(t, s.CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: "pay_2", OrderID: "o-2", CustomerID: "cus_1",
		Currency: "KRW", Amount: 400, PointsAmount: 400, FeeBPS: 300, WorkflowID: "checkout-o-2", Items: []activities.ItemInput{{ProducerID: "A", Amount: 400}}}))
	require.NoError(t, db.New(pool).CreatePointsHold(ctx, db.CreatePointsHoldParams{PaymentID: "pay_2", CustomerID: "cus_1", Currency: "KRW", Amount: 400}))

	rev := refundWithPoints(t, pool, "rf_1", "partial", 4_000)
	require.Equal(t, activities.ReversePointsResult{Points: 133, Taken: 99, Shortfall: 34}, rev)
	require.EqualValues(t, 400, customerPoints(t, pool), "what the other checkout holds is left")
}
