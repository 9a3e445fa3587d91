package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/testenv"
)

func producer(t *testing.T, pool *pgxpool.Pool, id string, settlementDays int32, hold bool) {
	t.Helper()
	_, err := db.New(pool).CreateProducer(context.Background(), db.CreateProducerParams{
		ID: id, Name: id, BankCode: "004", AccountSealed: sealedAccount(t, "1234567890"), AccountLast4: "7890", HolderName: "홍길동",
		FeeBps: 300, SettlementDays: settlementDays, PayoutHold: hold, BusinessRegistrationNumber: "1234567891",
	})
	require.NoError(t, err)
}

// book posts a balanced journal moving amount between the PG and the producer:
// amount > 0 is a sale (net of fee), < 0 a refund.
func book(t *testing.T, pool *pgxpool.Pool, key, producerID string, amount int64) {
	t.Helper()
	kind := "payment_capture"
	if amount < 0 {
		kind = "payment_refund"
	}
	j := ledger.Journal{Key: key, Kind: kind, Postings: []ledger.Posting{
		{Account: ledger.PGReceivable("alpha"), Currency: "KRW", Amount: amount},
		{Account: ledger.ProducerPayable(producerID), Currency: "KRW", Amount: -amount},
	}}
	require.NoError(t, pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(context.Background(), db.New(tx), j)
		return err
	}))
}

func claim(t *testing.T, p *activities.Payouts, runID, period string, cutoff time.Time) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, p.StartRun(ctx, activities.StartRunInput{RunID: runID, Period: period, Cutoff: cutoff, Currency: "KRW"}))
	got := map[string]int64{}
	after := ""
	for {
		res, err := p.ClaimPage(ctx, activities.ClaimPageInput{RunID: runID, Period: period, Cutoff: cutoff,
			Currency: "KRW", AfterID: after, PageSize: 2})
		require.NoError(t, err)
		for _, c := range res.Payouts {
			got[c.ProducerID] = c.Amount
		}
		if res.Done {
			return got
		}
		after = res.LastID
	}
}

func TestClaimPayablesOncePerPeriodAndCarryNegativesForward(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	p := &activities.Payouts{Pool: pool}
	producer(t, pool, "owes", 0, false)   // refunds exceed sales: carried forward
	producer(t, pool, "paid", 0, false)   // plain sales
	producer(t, pool, "hold", 0, true)    // finance holds its payouts
	producer(t, pool, "recent", 3, false) // D+3: today's sales are not due yet
	producer(t, pool, "none", 0, false)   // no sales
	book(t, pool, "s1", "owes", 5_000)
	book(t, pool, "r1", "owes", -8_000)
	book(t, pool, "s2", "paid", 9_700)
	book(t, pool, "s3", "paid", 4_850)
	book(t, pool, "s4", "hold", 1_000)
	book(t, pool, "s5", "recent", 2_000)
	cutoff := time.Now().Add(time.Second)

	got := claim(t, p, "run-1", "20261125", cutoff)
	require.Equal(t, map[string]int64{"paid": 14_550}, got, "only positive, due, unheld payables")
	held, err := db.New(pool).GetPayout(ctx, activities.PayoutID("hold", "20261125"))
	require.NoError(t, err)
	require.Equal(t, activities.PayoutHeld, held.Status)
	require.Equal(t, "producer_on_hold", held.Reason)

	// Claimed but not yet booked: a run for the same period claims nothing, and
	// a run for the next period does not count the in-flight amount again.
	require.Empty(t, claim(t, p, "run-2", "20261125", cutoff), "same period: nothing left to claim")
	require.Empty(t, claim(t, p, "run-3", "20261126", cutoff), "in-flight amount is not claimed twice")

	require.NoError(t, p.PostPayout(ctx, activities.PostPayoutInput{PayoutID: activities.PayoutID("paid", "20261125"), TransactionID: "txn_1"}))
	require.NoError(t, p.PostPayout(ctx, activities.PostPayoutInput{PayoutID: activities.PayoutID("paid", "20261125"), TransactionID: "txn_1"}), "a retried posting changes nothing")
	require.Zero(t, balance(t, pool, "producer:paid:payable"))
	require.Equal(t, int64(-14_550), balance(t, pool, "bank:payouts"))

	// The negative balance is carried: new sales first make up for it.
	book(t, pool, "s6", "owes", 4_500)
	book(t, pool, "s7", "paid", 100)
	got = claim(t, p, "run-4", "20261127", time.Now().Add(time.Second))
	require.Equal(t, map[string]int64{"owes": 1_500, "paid": 100}, got)
	// D+3 sales become due three days after they were booked.
	got = claim(t, p, "run-5", "20261130", time.Now().Add(72*time.Hour+time.Second))
	require.Equal(t, map[string]int64{"recent": 2_000}, got)
}

func TestRegisteredProducerFeeRateAppliesAtCheckout(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	_, err := db.New(pool).CreateProducer(ctx, db.CreateProducerParams{ID: "A", Name: "A", BankCode: "004",
		AccountSealed: sealedAccount(t, "1234567890"), AccountLast4: "7890", HolderName: "홍길동", FeeBps: 500, BusinessRegistrationNumber: "1234567891"})
	require.NoError(t, err)
	capturedPayment(t, pool) // A 10,000 at its own 5%, B 5,000 at the platform's 3%
	items, err := db.New(pool).ListPaymentItems(ctx, "pay_1")
	require.NoError(t, err)
	fees := map[string]int64{}
	for _, it := range items {
		fees[it.ProducerID] = it.Fee
	}
	require.Equal(t, map[string]int64{"A": 500, "B": 150}, fees)
	confirm(t, pool, "A")
	confirm(t, pool, "B")
	// At confirmation: commission at the fixed rate and its 10% VAT.
	require.Equal(t, int64(-9_450), balance(t, pool, "producer:A:payable"))
	require.Equal(t, int64(-4_835), balance(t, pool, "producer:B:payable"))
	require.Equal(t, int64(-650), balance(t, pool, "revenue:fees"))
	require.Equal(t, int64(-65), balance(t, pool, "vat:payable"))
}

// testPII seals test account numbers the way the API does.
func testPII(t *testing.T) *pii.Keys {
	t.Helper()
	k, err := pii.New(config.DevPIIKey)
	require.NoError(t, err)
	return k
}

func sealedAccount(t *testing.T, account string) []byte {
	t.Helper()
	sealed, err := testPII(t).Seal(account)
	require.NoError(t, err)
	return sealed
}
