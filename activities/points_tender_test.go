package activities_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/testenv"
)

// tenderRig is customer cus_t with a card pm_t, a 10,000 wallet and two
// points buckets: 2,000 due already (bucket A, spent first) and 5,000
// lasting two years (bucket B).
type tenderRig struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	q      *db.Queries
	points *activities.Points
	book   *activities.Ledger
	store  *activities.Store
}

func newTenderRig(t *testing.T) *tenderRig { return newTenderRigWith(t, 2_000) }

// newTenderRigWith is newTenderRig with pointsA in bucket A.
func newTenderRigWith(t *testing.T, pointsA int64) *tenderRig {
	t.Helper()
	ctx := context.Background()
	pool := testenv.Pool(t)
	r := &tenderRig{ctx: ctx, pool: pool, q: db.New(pool), points: &activities.Points{Pool: pool},
		book: &activities.Ledger{Pool: pool}, store: &activities.Store{Pool: pool}}
	_, err := r.q.CreateCustomer(ctx, db.CreateCustomerParams{ID: "cus_t", ExternalID: "ext-t", Name: "Kim"})
	require.NoError(t, err)
	keys, err := pii.New(strings.Repeat("s", 32))
	require.NoError(t, err)
	require.NoError(t, (&activities.Methods{Pool: pool, Keys: keys}).SaveMethod(ctx, activities.SaveMethodInput{MethodID: "pm_t", CustomerID: "cus_t", Kind: "card",
		BillingKeys: []activities.BillingKeyResult{{PG: "alpha", BillingKey: "bk_t", CardLast4: "1111", CardType: "credit"}}}))
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(ctx, db.New(tx), ledger.TopUpJournal("tu_t", "cus_t", "KRW", 10_000))
		return err
	}))
	now := time.Now()
	for _, e := range []struct {
		id       string
		points   int64
		at       time.Time
		validity time.Duration
	}{{"pay_ea", pointsA, now.Add(-48 * time.Hour), 24 * time.Hour}, {"pay_eb", 5_000, now, 2 * 365 * 24 * time.Hour}} {
		r.createPayment(t, e.id, 50_000, 0, 0)
		_, err := r.points.EarnPoints(ctx, activities.EarnPointsInput{PaymentID: e.id, CustomerID: "cus_t", Currency: "KRW",
			Base: e.points, RateBPS: 10_000, At: e.at, Validity: e.validity})
		require.NoError(t, err)
	}
	return r
}

func (r *tenderRig) createPayment(t *testing.T, id string, amount, wallet, points int64) {
	t.Helper()
	require.NoError(t, r.store.CreatePayment(r.ctx, activities.CreatePaymentInput{PaymentID: id, OrderID: "o-" + id, CustomerID: "cus_t",
		MethodID: "pm_t", Currency: "KRW", Amount: amount, WalletAmount: wallet, PointsAmount: points, FeeBPS: 300, WorkflowID: "checkout-o-" + id,
		Items: []activities.ItemInput{{ProducerID: "A", Amount: amount - 20_000}, {ProducerID: "B", Amount: 20_000}}}))
}

func (r *tenderRig) balance(t *testing.T, account string) int64 {
	t.Helper()
	raw, err := r.q.AccountBalance(r.ctx, db.AccountBalanceParams{Account: account, Currency: "KRW"})
	require.NoError(t, err)
	return -raw
}

// bucketsByEarning is each bucket's remaining points by the journal that made it.
func (r *tenderRig) bucketsByEarning(t *testing.T) map[string]int64 {
	t.Helper()
	rows, err := r.pool.Query(r.ctx, `SELECT source_key, remaining FROM points_buckets WHERE customer_id = 'cus_t'`)
	require.NoError(t, err)
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		require.NoError(t, rows.Scan(&k, &n))
		out[k] = n
	}
	require.NoError(t, rows.Err())
	return out
}

func (r *tenderRig) refund(t *testing.T, id, kind string, amount int64) activities.ReserveRefundResult {
	t.Helper()
	claim, err := (&activities.Refunds{Pool: r.pool}).ReserveRefund(r.ctx, activities.ReserveRefundInput{RefundID: id, PaymentID: "pay_t", Amount: amount, Kind: kind})
	require.NoError(t, err)
	require.NoError(t, r.book.PostRefund(r.ctx, activities.PostRefundInput{RefundID: id}))
	require.NoError(t, r.book.PostRefund(r.ctx, activities.PostRefundInput{RefundID: id}), "a retried posting changes nothing")
	return claim
}

// 50,000 paid 3,000 points + 10,000 wallet + 37,000 card: the posting spends
// the buckets first in first out by expiry, the PG receivable carries the
// card part only, and refunding it all in two slices (one after bucket A
// expired) returns exactly the 3,000 spent: into B where it came from, and
// A's share that came back after A expired into a new 30-day bucket.
func TestPointsTenderSpendsFIFOAndRefundsReturnExactly(t *testing.T) {
	r := newTenderRig(t)
	ea, eb := ledger.PointsEarnKey("pay_ea"), ledger.PointsEarnKey("pay_eb")
	r.createPayment(t, "pay_t", 50_000, 10_000, 3_000)
	require.NoError(t, (&activities.Wallet{Pool: r.pool}).HoldWallet(r.ctx, activities.HoldWalletInput{PaymentID: "pay_t", CustomerID: "cus_t", Currency: "KRW", Amount: 10_000}))
	hold := activities.HoldPointsInput{PaymentID: "pay_t", CustomerID: "cus_t", Currency: "KRW", Amount: 3_000}
	require.NoError(t, r.points.HoldPoints(r.ctx, hold))
	require.NoError(t, r.points.HoldPoints(r.ctx, hold), "a retried hold holds once")

	capture := activities.PostCaptureInput{PaymentID: "pay_t", PG: "alpha", PaymentKey: "pk_t"}
	require.NoError(t, r.book.PostCapture(r.ctx, capture))
	require.NoError(t, r.book.PostCapture(r.ctx, capture), "a retried posting spends nothing more")

	require.EqualValues(t, 4_000, r.balance(t, ledger.Points("cus_t")))
	require.EqualValues(t, 0, r.balance(t, ledger.Wallet("cus_t")))
	require.EqualValues(t, 0, r.balance(t, ledger.PointsClearing))
	require.EqualValues(t, -37_000, r.balance(t, ledger.PGReceivable("alpha")), "the PG owes the card part only")
	require.Equal(t, map[string]int64{ea: 0, eb: 4_000}, r.bucketsByEarning(t), "A (due first) gave 2,000, B 1,000")
	h, err := r.q.GetPointsHold(r.ctx, "pay_t")
	require.NoError(t, err)
	require.Equal(t, "captured", h.Status)

	first := r.refund(t, "rf_t1", "partial", 20_000)
	require.EqualValues(t, 1_200, first.PointsAmount, "20,000 of 50,000: 2/5 of the points")
	require.EqualValues(t, 4_000, first.WalletAmount)
	require.Equal(t, map[string]int64{ea: 800, eb: 4_400}, r.bucketsByEarning(t), "back in proportion to what each bucket gave")

	expired, err := r.points.ExpirePoints(r.ctx, activities.ExpirePointsInput{Now: time.Now(), MaxRows: 10})
	require.NoError(t, err)
	require.EqualValues(t, 800, expired.Points, "A keeps its expiry: the 800 returned to it expire with it")

	rest := r.refund(t, "rf_t2", "cancel", 0)
	require.EqualValues(t, 1_800, rest.PointsAmount)
	require.EqualValues(t, 30_000-1_800-6_000, rest.Amount-rest.WalletAmount-rest.PointsAmount, "the PG gives back the card's rest")
	got := r.bucketsByEarning(t)
	require.EqualValues(t, 5_000, got[eb], "B got back all it gave")
	require.EqualValues(t, 1_200, got[ledger.PointsRefundKey("rf_t2")+":bucket:"+bucketID(t, r, ea)], "A's share after its expiry: a new bucket")
	require.EqualValues(t, 7_000-3_000-800+3_000, r.balance(t, ledger.Points("cus_t")), "earned - spent - expired + returned")
	var inBuckets int64
	for _, n := range got {
		inBuckets += n
	}
	require.Equal(t, r.balance(t, ledger.Points("cus_t")), inBuckets, "the buckets add up to the ledger")
	require.EqualValues(t, 0, r.balance(t, ledger.PointsClearing))
	require.EqualValues(t, 10_000, r.balance(t, ledger.Wallet("cus_t")), "the wallet got its part back")
	require.EqualValues(t, 0, r.balance(t, ledger.PGReceivable("alpha")))
}

func bucketID(t *testing.T, r *tenderRig, sourceKey string) string {
	t.Helper()
	var id string
	require.NoError(t, r.pool.QueryRow(r.ctx, `SELECT id::text FROM points_buckets WHERE source_key = $1`, sourceKey).Scan(&id))
	return id
}

// Concurrent holds never exceed the balance (7,000 points: three of five
// 2,000-point holds), a short one is insufficient_points, and a released
// hold makes its points available again.
func TestPointsHoldsNeverExceedTheBalance(t *testing.T) {
	r := newTenderRig(t)
	ids := []string{"pay_h1", "pay_h2", "pay_h3", "pay_h4", "pay_h5"}
	for _, id := range ids {
		r.createPayment(t, id, 50_000, 0, 2_000)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.points.HoldPoints(r.ctx, activities.HoldPointsInput{PaymentID: id, CustomerID: "cus_t", Currency: "KRW", Amount: 2_000})
		}()
	}
	wg.Wait()
	var held []string
	for i, err := range errs {
		if err == nil {
			held = append(held, ids[i])
			continue
		}
		require.True(t, activities.IsType(err, activities.ErrDeclined), "%v", err)
		require.Equal(t, "insufficient_points", activities.FailureOf(err, "").Code)
	}
	require.Len(t, held, 3)
	var total int64
	require.NoError(t, r.pool.QueryRow(r.ctx, `SELECT sum(amount) FROM points_holds WHERE status = 'active'`).Scan(&total))
	require.EqualValues(t, 6_000, total)

	require.NoError(t, r.points.ReleasePointsHold(r.ctx, activities.HoldRef{PaymentID: held[0]}))
	require.NoError(t, r.points.ReleasePointsHold(r.ctx, activities.HoldRef{PaymentID: held[0]}), "released once")
	r.createPayment(t, "pay_h6", 50_000, 0, 3_000)
	require.NoError(t, r.points.HoldPoints(r.ctx, activities.HoldPointsInput{PaymentID: "pay_h6", CustomerID: "cus_t", Currency: "KRW", Amount: 3_000}),
		"7,000 - 4,000 held: 3,000 available")
}

// An item-targeted refund (ADR 0016) splits between the tenders by the same
// cumulative slice of the payment as an amount refund: farm B's 20,000 of the
// 50,000 gives back 2/5 of the points, and the cancel of the rest the others.
func TestPointsTenderItemRefundReturnsItsShare(t *testing.T) {
	r := newTenderRig(t)
	r.createPayment(t, "pay_t", 50_000, 0, 3_000)
	require.NoError(t, r.points.HoldPoints(r.ctx, activities.HoldPointsInput{PaymentID: "pay_t", CustomerID: "cus_t", Currency: "KRW", Amount: 3_000}))
	require.NoError(t, r.book.PostCapture(r.ctx, activities.PostCaptureInput{PaymentID: "pay_t", PG: "alpha", PaymentKey: "pk_t"}))
	refunds := &activities.Refunds{Pool: r.pool}
	claim, err := refunds.ReserveRefund(r.ctx, activities.ReserveRefundInput{RefundID: "rf_b", PaymentID: "pay_t", Kind: "partial",
		Items: []activities.RefundItem{{ProducerID: "B"}}})
	require.NoError(t, err)
	require.EqualValues(t, 20_000, claim.Amount)
	require.EqualValues(t, 1_200, claim.PointsAmount)
	require.NoError(t, r.book.PostRefund(r.ctx, activities.PostRefundInput{RefundID: "rf_b"}))
	require.EqualValues(t, 4_000+1_200, r.balance(t, ledger.Points("cus_t")))
	rest := r.refund(t, "rf_rest", "cancel", 0)
	require.EqualValues(t, 1_800, rest.PointsAmount)
	require.EqualValues(t, 7_000, r.balance(t, ledger.Points("cus_t")), "all 3,000 back")
	require.EqualValues(t, 0, r.balance(t, ledger.PointsClearing))
}

// Refunding everything in sixteen uneven slices gives every bucket back
// exactly what it gave (A 1,234, B 1,766): each slice's points go over the
// buckets as the cumulative split's difference, never rounded slice by slice.
func TestPointsTenderUnevenSlicesReturnEachBucketExactly(t *testing.T) {
	r := newTenderRigWith(t, 1_234)
	ea, eb := ledger.PointsEarnKey("pay_ea"), ledger.PointsEarnKey("pay_eb")
	r.createPayment(t, "pay_t", 50_000, 0, 3_000)
	require.NoError(t, r.points.HoldPoints(r.ctx, activities.HoldPointsInput{PaymentID: "pay_t", CustomerID: "cus_t", Currency: "KRW", Amount: 3_000}))
	require.NoError(t, r.book.PostCapture(r.ctx, activities.PostCaptureInput{PaymentID: "pay_t", PG: "alpha", PaymentKey: "pk_t"}))
	var returned int64
	for i := range 15 {
		returned += r.refund(t, fmt.Sprintf("rf_s%d", i), "partial", 3_333).PointsAmount
	}
	returned += r.refund(t, "rf_rest", "cancel", 0).PointsAmount
	require.EqualValues(t, 3_000, returned)
	require.Equal(t, map[string]int64{ea: 1_234, eb: 5_000}, r.bucketsByEarning(t), "every bucket got back exactly what it gave")
}

// Points spent as a tender earn no points at the item's confirmation: farm B's
// 20,000 of a 50,000 payment with 10,000 wallet and 3,000 points earns 5% of
// its share of the 37,000 card part.
func TestPointsTenderEarnsNothingOnThePointsPart(t *testing.T) {
	r := newTenderRig(t)
	r.createPayment(t, "pay_t", 50_000, 10_000, 3_000)
	require.NoError(t, r.store.RecordBenefit(r.ctx, activities.RecordBenefitInput{PaymentID: "pay_t", AtConfirmation: true, Validity: 24 * time.Hour,
		Benefit: benefit.Result{RateBPS: 500, MonthlyPointsCap: -1}}))
	res, err := r.points.EarnItemPoints(r.ctx, activities.EarnItemPointsInput{ItemRef: activities.ItemRef{PaymentID: "pay_t", ProducerID: "B"}, At: time.Now()})
	require.NoError(t, err)
	require.EqualValues(t, 740, res.Points, "5% of 20,000 x 37,000 / 50,000")
}
