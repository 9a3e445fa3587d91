package activities_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/testenv"
)

// pointsRig is customer cus_p with two captured-sized payments to earn on.
func pointsRig(t *testing.T) (*activities.Points, *db.Queries, context.Context) {
	p, q, ctx, _ := pointsRigPool(t)
	return p, q, ctx
}

func pointsRigPool(t *testing.T) (*activities.Points, *db.Queries, context.Context, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool := testenv.Pool(t)
	q := db.New(pool)
	_, err := q.CreateCustomer(ctx, db.CreateCustomerParams{ID: "cus_p", ExternalID: "ext-p", Name: "홍길동"})
	require.NoError(t, err)
	store := &activities.Store{Pool: pool}
	for _, id := range []string{"pay_p1", "pay_p2", "pay_p3"} {
		require.NoError(t, store.CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: id, OrderID: "o-" + id, CustomerID: "cus_p",
			Currency: "KRW", Amount: 50_000, WalletAmount: 50_000, FeeBPS: 300, Items: []activities.ItemInput{{ProducerID: "farm", Amount: 50_000}}, WorkflowID: "w-" + id}))
	}
	return &activities.Points{Pool: pool}, q, ctx, pool
}

func pointsBalance(t *testing.T, ctx context.Context, q *db.Queries) (ledgerBalance, buckets int64) {
	t.Helper()
	raw, err := q.AccountBalance(ctx, db.AccountBalanceParams{Account: ledger.Points("cus_p"), Currency: "KRW"})
	require.NoError(t, err)
	rem, err := q.PointsRemaining(ctx, db.PointsRemainingParams{CustomerID: "cus_p", Currency: "KRW"})
	require.NoError(t, err)
	return -raw, rem
}

// Earning is once per payment however often it is retried, even concurrently;
// the buckets always add up to what the ledger owes.
func TestEarnPointsOncePerPayment(t *testing.T) {
	p, q, ctx := pointsRig(t)
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	in := activities.EarnPointsInput{PaymentID: "pay_p1", CustomerID: "cus_p", Currency: "KRW", Base: 50_000, RateBPS: 150, At: at, Validity: 24 * time.Hour * 365 * 5}

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.EarnPoints(ctx, in)
			require.NoError(t, err)
			require.EqualValues(t, 750, res.Points) // 1.5% of 50,000
		}()
	}
	wg.Wait()

	owed, inBuckets := pointsBalance(t, ctx, q)
	require.EqualValues(t, 750, owed)
	require.EqualValues(t, 750, inBuckets)
	rows, err := q.ListPointsBuckets(ctx, "cus_p")
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, at.Add(in.Validity), rows[0].ExpiresAt.Time.UTC())
	earned, err := q.PointsEarnedByPayment(ctx, rows[0].PaymentID)
	require.NoError(t, err)
	require.EqualValues(t, 750, earned)
}

// Buckets expire first in first out at their own expiry: the notice goes out
// once, 30 days before, and an expiry takes back exactly what was left.
func TestPointsExpireFIFOWithANoticeBefore(t *testing.T) {
	p, q, ctx, pool := pointsRigPool(t)
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	validity := 90 * 24 * time.Hour
	_, err := p.EarnPoints(ctx, activities.EarnPointsInput{PaymentID: "pay_p1", CustomerID: "cus_p", Currency: "KRW", Base: 50_000, RateBPS: 100, At: jan, Validity: validity})
	require.NoError(t, err)
	_, err = p.EarnPoints(ctx, activities.EarnPointsInput{PaymentID: "pay_p2", CustomerID: "cus_p", Currency: "KRW", Base: 50_000, RateBPS: 200, At: jan.AddDate(0, 1, 0), Validity: validity})
	require.NoError(t, err)

	// 61 days in: the first bucket (expiring day 90) is within 30 days, the second is not.
	day61 := jan.Add(61 * 24 * time.Hour)
	for range 2 { // a re-run the same day announces nothing twice
		_, err := p.NotifyExpiringPoints(ctx, activities.NotifyExpiringPointsInput{Now: day61, Within: 30 * 24 * time.Hour, MaxRows: 10})
		require.NoError(t, err)
	}
	var events int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'points.expiring' AND subject_id = 'cus_p'`).Scan(&events))
	require.Equal(t, 1, events)

	// Day 89: nothing due yet. Day 90: the first bucket's 500 expire, the second's 1,000 stay.
	res, err := p.ExpirePoints(ctx, activities.ExpirePointsInput{Now: jan.Add(89 * 24 * time.Hour), MaxRows: 10})
	require.NoError(t, err)
	require.Zero(t, res.Buckets)
	for range 2 {
		_, err = p.ExpirePoints(ctx, activities.ExpirePointsInput{Now: jan.Add(validity), MaxRows: 10})
		require.NoError(t, err)
	}
	owed, inBuckets := pointsBalance(t, ctx, q)
	require.EqualValues(t, 1_000, owed)
	require.EqualValues(t, 1_000, inBuckets)
	expired, err := q.AccountBalance(ctx, db.AccountBalanceParams{Account: ledger.PointsExpired, Currency: "KRW"})
	require.NoError(t, err)
	require.EqualValues(t, -500, expired, "expired once")
	rows, err := q.ListPointsBuckets(ctx, "cus_p")
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.EqualValues(t, 1_000, rows[0].Remaining)
}
