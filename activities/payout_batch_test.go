package activities_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
)

// batchRig is a payout batch against PostgreSQL and the sandbox bank.
type batchRig struct {
	ctx  context.Context
	pool *pgxpool.Pool
	sim  *providersim.AdminClient
	p    *activities.Payouts
}

func newBatchRig(t *testing.T) *batchRig {
	t.Helper()
	srv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	t.Cleanup(srv.Close)
	pool := testenv.Pool(t)
	return &batchRig{ctx: context.Background(), pool: pool, sim: providersim.NewAdminClient(srv.URL, nil),
		p: &activities.Payouts{Pool: pool, Bank: bank.NewHTTPClient(srv.URL+"/bank", nil), Keys: testPII(t)}}
}

// payee registers a producer with the account and holder name, owed amount.
func (r *batchRig) payee(t *testing.T, id, account, holder string, amount int64) {
	t.Helper()
	_, err := db.New(r.pool).CreateProducer(r.ctx, db.CreateProducerParams{
		ID: id, Name: id, BankCode: "004", AccountSealed: sealedAccount(t, account), AccountLast4: account[len(account)-4:],
		HolderName: holder, FeeBps: 300, BusinessRegistrationNumber: "1234567891",
	})
	require.NoError(t, err)
	book(t, r.pool, "sale-"+id, id, amount)
}

// claimAll claims every payable for the period and returns the payout ids.
func (r *batchRig) claimAll(t *testing.T, period string) []string {
	t.Helper()
	var ids []string
	for producer := range claim(t, r.p, "run-"+period, period, time.Now().Add(time.Second)) {
		ids = append(ids, activities.PayoutID(producer, period))
	}
	return ids
}

func (r *batchRig) transfers(t *testing.T) map[string]int64 {
	t.Helper()
	recs, err := r.sim.Records(r.ctx, providersim.RecordFilter{Provider: "bank", Kind: providersim.KindTransfer})
	require.NoError(t, err)
	out := map[string]int64{}
	for _, rec := range recs {
		_, dup := out[rec.IdempotencyKey]
		require.False(t, dup, "two transfers under %s", rec.IdempotencyKey)
		out[rec.IdempotencyKey] = rec.Amount
	}
	return out
}

func (r *batchRig) status(t *testing.T, producer, period string) (string, string) {
	t.Helper()
	po, err := db.New(r.pool).GetPayout(r.ctx, activities.PayoutID(producer, period))
	require.NoError(t, err)
	return po.Status, po.Reason
}

// A batch pays the producers it can, holds the ones the bank refuses (a closed
// account, a holder who is not the producer's) without a transfer, survives a
// lost answer and a 5xx on its transfers, and a retried batch pays nobody twice.
func TestPayBatchPaysOnceHoldsRefusalsAndSurvivesBankFaults(t *testing.T) {
	r := newBatchRig(t)
	const period = "20261201"
	r.payee(t, "ok-1", "1100000001", "홍길동", 10_000)
	r.payee(t, "ok-2", "1100000002", "홍길동", 20_000)
	r.payee(t, "ok-3", "1100000003", "홍길동", 30_000)
	r.payee(t, "closed", "9980000001", "홍길동", 40_000)   // the sandbox's closed accounts start 998
	r.payee(t, "stranger", "1100000005", "김철수", 50_000) // the bank names 홍길동 as the holder
	ids := r.claimAll(t, period)
	require.Len(t, ids, 5)

	// The first transfer commits at the bank but its answer is lost; the next
	// two answer 500: each is retried under the same key.
	require.NoError(t, r.sim.SetFault(r.ctx, providersim.Fault{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	require.NoError(t, r.sim.SetFault(r.ctx, providersim.Fault{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeError, Status: 500, Count: 2}))

	res, err := r.p.PayBatch(r.ctx, activities.PayBatchInput{PayoutIDs: ids, Workers: 3})
	require.NoError(t, err)
	require.Equal(t, 3, res.Paid)
	require.Equal(t, 2, res.Held)
	require.Zero(t, res.Failed)
	require.EqualValues(t, 60_000, res.PaidAmount)
	for _, p := range []string{"ok-1", "ok-2", "ok-3"} {
		st, _ := r.status(t, p, period)
		require.Equal(t, activities.PayoutPaid, st, p)
	}
	st, reason := r.status(t, "closed", period)
	require.Equal(t, [2]string{activities.PayoutHeld, "account_closed"}, [2]string{st, reason})
	st, reason = r.status(t, "stranger", period)
	require.Equal(t, [2]string{activities.PayoutHeld, "holder_mismatch"}, [2]string{st, reason})

	want := map[string]int64{
		ledger.PayoutKey("ok-1", period): 10_000, ledger.PayoutKey("ok-2", period): 20_000, ledger.PayoutKey("ok-3", period): 30_000,
	}
	require.Equal(t, want, r.transfers(t), "one transfer per paid producer, none to the refused ones")
	require.EqualValues(t, -60_000, balance(t, r.pool, "bank:payouts"))

	// The worker died and the activity runs again: nothing more moves.
	again, err := r.p.PayBatch(r.ctx, activities.PayBatchInput{PayoutIDs: ids, Workers: 3})
	require.NoError(t, err)
	require.Equal(t, res.Paid, again.Paid)
	require.Equal(t, res.Held, again.Held)
	require.Equal(t, want, r.transfers(t))
	require.EqualValues(t, -60_000, balance(t, r.pool, "bank:payouts"))
}

// A crash after the bank took the transfer and before it was booked: the
// retried batch finds the bank's transfer under the payout's key and books it,
// it does not send a second one.
func TestPayBatchAfterACrashBooksTheTransferTheBankAlreadyHas(t *testing.T) {
	r := newBatchRig(t)
	const period = "20261202"
	r.payee(t, "farm-a", "1100000011", "홍길동", 12_345)
	ids := r.claimAll(t, period)
	_, err := r.p.Transfer(r.ctx, activities.PayoutRef{PayoutID: ids[0]}) // the attempt that died after its bank call
	require.NoError(t, err)
	st, _ := r.status(t, "farm-a", period)
	require.Equal(t, activities.PayoutPending, st, "not booked yet")

	res, err := r.p.PayBatch(r.ctx, activities.PayBatchInput{PayoutIDs: ids, Workers: 4})
	require.NoError(t, err)
	require.Equal(t, 1, res.Paid)
	require.Equal(t, map[string]int64{ledger.PayoutKey("farm-a", period): 12_345}, r.transfers(t))
	require.EqualValues(t, -12_345, balance(t, r.pool, "bank:payouts"))
	require.Zero(t, balance(t, r.pool, ledger.ProducerPayable("farm-a")))
}

// A bank that stays down: bounded retries, a look-up by key that finds nothing,
// then held bank_unavailable (the amount stays payable); no transfer.
func TestPayBatchHoldsWhenTheBankStaysDown(t *testing.T) {
	r := newBatchRig(t)
	const period = "20261203"
	r.payee(t, "farm-b", "1100000021", "홍길동", 5_000)
	ids := r.claimAll(t, period)
	require.NoError(t, r.sim.SetFault(r.ctx, providersim.Fault{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeError, Status: 503}))
	res, err := r.p.PayBatch(r.ctx, activities.PayBatchInput{PayoutIDs: ids, Workers: 2})
	require.NoError(t, err)
	require.Equal(t, 1, res.Held)
	require.Equal(t, []activities.PayoutOutcome{{PayoutID: ids[0], Status: activities.PayoutHeld, Reason: "bank_unavailable", Amount: 5_000}}, res.NotPaid)
	require.Empty(t, r.transfers(t))
	require.EqualValues(t, -5_000, balance(t, r.pool, ledger.ProducerPayable("farm-b")), "still owed")
}
