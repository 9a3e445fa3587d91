package activities_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
)

type walletRig struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	keys   *pii.Keys
	sim    *providersim.AdminClient
	simURL string
	wallet *activities.Wallet
}

// newWalletRig is a verified customer cus_1 with bank account pm_bank (sealed
// number, 1,000,000 at the sandbox bank) and real PostgreSQL and sandbox behind
// the activities.
func newWalletRig(t *testing.T) *walletRig {
	t.Helper()
	ctx := context.Background()
	srv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	t.Cleanup(srv.Close)
	keys, err := pii.New(strings.Repeat("k", 32))
	require.NoError(t, err)
	pool := testenv.Pool(t)
	r := &walletRig{ctx: ctx, pool: pool, keys: keys, sim: providersim.NewAdminClient(srv.URL, nil), simURL: srv.URL,
		wallet: &activities.Wallet{Bank: bank.NewHTTPClient(srv.URL+"/bank", nil), Keys: keys, Pool: pool}}
	require.NoError(t, r.sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: "110123456789", HolderName: "홍길동", Balance: 1_000_000}))
	q := db.New(pool)
	_, err = q.CreateCustomer(ctx, db.CreateCustomerParams{ID: "cus_1", ExternalID: "ext-1", Name: "홍길동"})
	require.NoError(t, err)
	require.NoError(t, q.MarkCustomerVerified(ctx, db.MarkCustomerVerifiedParams{ID: "cus_1"}))
	m := &activities.Methods{Keys: keys, Pool: pool}
	require.NoError(t, m.SaveMethod(ctx, activities.SaveMethodInput{MethodID: "pm_bank", CustomerID: "cus_1", Kind: "bank_account",
		HolderName: "홍길동", BankCode: "088", AccountNumber: "110123456789",
		BillingKeys: []activities.BillingKeyResult{{PG: "alpha", BillingKey: "bk_1", BankCode: "088", AccountLast4: "6789"}}}))
	return r
}

func (r *walletRig) reserve(t *testing.T, id string, amount int64) {
	t.Helper()
	require.NoError(t, r.wallet.ReserveTopUp(r.ctx, activities.ReserveTopUpInput{TopUpID: id, CustomerID: "cus_1", MethodID: "pm_bank",
		Currency: "KRW", Amount: amount, Cap: 2_000_000, DailyLimit: 1_000_000, WorkflowID: "topup-" + id}))
}

func (r *walletRig) bankRecords(t *testing.T, kind string) (n int, amount int64) {
	t.Helper()
	recs, err := r.sim.Records(r.ctx, providersim.RecordFilter{Provider: "bank", Kind: kind})
	require.NoError(t, err)
	for _, rec := range recs {
		n++
		amount += rec.Amount
	}
	return n, amount
}

// A worker that dies after the debit re-runs the debit (local activities are
// re-executed on replay) and then the credit: the keys make both happen once.
func TestTopUpDebitAndCreditOnceAcrossRetries(t *testing.T) {
	r := newWalletRig(t)
	ref := activities.TopUpRef{TopUpID: "top_1"}
	r.reserve(t, "top_1", 300_000)
	r.reserve(t, "top_1", 300_000) // a retried reservation changes nothing

	require.NoError(t, r.wallet.DebitBank(r.ctx, ref))
	require.NoError(t, r.wallet.DebitBank(r.ctx, ref), "the debit re-run after a crash")
	require.Zero(t, countRows(t, r.pool, `SELECT count(*) FROM events`), "no event before the credit commits")
	require.NoError(t, r.wallet.CreditWallet(r.ctx, ref))
	require.NoError(t, r.wallet.CreditWallet(r.ctx, ref), "the credit retried")

	n, amount := r.bankRecords(t, "debit")
	require.Equal(t, 1, n)
	require.Equal(t, int64(300_000), amount)
	require.Equal(t, int64(-300_000), balance(t, r.pool, "wallet:cus_1"))
	require.Equal(t, int64(300_000), balance(t, r.pool, "bank:clearing"))
	top, err := db.New(r.pool).GetTopUp(r.ctx, "top_1")
	require.NoError(t, err)
	require.Equal(t, "succeeded", top.Status)
	require.True(t, top.BankTransactionID.Valid)
	// The outbox got the event with the credit, once across the retry.
	var typ, subject string
	var data []byte
	require.NoError(t, r.pool.QueryRow(r.ctx, `SELECT type, subject_id, data FROM events`).Scan(&typ, &subject, &data))
	require.Equal(t, activities.EventTopUpSucceeded, typ)
	require.Equal(t, "top_1", subject)
	require.JSONEq(t, `{"topup_id":"top_1","customer_id":"cus_1","currency":"KRW","amount":300000}`, string(data))
}

func countRows(t *testing.T, pool *pgxpool.Pool, query string) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), query).Scan(&n))
	return n
}

func TestTopUpReverseGivesTheDebitBackOnce(t *testing.T) {
	r := newWalletRig(t)
	ref := activities.TopUpRef{TopUpID: "top_1"}
	r.reserve(t, "top_1", 300_000)
	require.NoError(t, r.wallet.DebitBank(r.ctx, ref))

	for range 2 {
		rev, err := r.wallet.ReverseDebit(r.ctx, ref)
		require.NoError(t, err)
		require.True(t, rev.Reversed)
	}
	n, amount := r.bankRecords(t, "transfer")
	require.Equal(t, 1, n)
	require.Equal(t, int64(300_000), amount)

	// Without a debit under the key there is nothing to give back.
	r.reserve(t, "top_2", 100_000)
	rev, err := r.wallet.ReverseDebit(r.ctx, activities.TopUpRef{TopUpID: "top_2"})
	require.NoError(t, err)
	require.False(t, rev.Reversed)
}

// The chaos incident of top_fe23a40e (TestChaosProdShort seed 2): the debit
// and the credit committed, the workflow task's completion was lost, and the
// re-run debit met a bank fault, so the top-up went into the reversal and the
// customer kept the credit and got the debit back. The re-run must not ask the
// bank again, and a reversal must never give back a credited top-up.
func TestTopUpCreditedIsNeverReversed(t *testing.T) {
	r := newWalletRig(t)
	ref := activities.TopUpRef{TopUpID: "top_1"}
	r.reserve(t, "top_1", 195_000)
	require.NoError(t, r.wallet.DebitBank(r.ctx, ref))
	require.NoError(t, r.wallet.CreditWallet(r.ctx, ref))

	// The bank now fails every debit before processing (as the chaos fault did).
	require.NoError(t, r.sim.SetFault(r.ctx, providersim.Fault{Provider: "bank", Op: providersim.OpDebit,
		Mode: providersim.ModeError, Status: 503}))
	require.NoError(t, r.wallet.DebitBank(r.ctx, ref), "the re-run debit: already recorded, the bank is not asked")

	rev, err := r.wallet.ReverseDebit(r.ctx, ref)
	require.NoError(t, err)
	require.Equal(t, activities.ReverseDebitResult{Credited: true}, rev)
	n, _ := r.bankRecords(t, "transfer")
	require.Zero(t, n, "nothing given back")
	n, amount := r.bankRecords(t, "debit")
	require.Equal(t, 1, n)
	require.Equal(t, int64(195_000), amount)
	require.Equal(t, int64(195_000), balance(t, r.pool, "bank:clearing"))
}

func TestTopUpReservationLimits(t *testing.T) {
	r := newWalletRig(t)
	r.reserve(t, "top_1", 900_000)
	err := r.wallet.ReserveTopUp(r.ctx, activities.ReserveTopUpInput{TopUpID: "top_2", CustomerID: "cus_1", MethodID: "pm_bank",
		Currency: "KRW", Amount: 200_000, Cap: 2_000_000, DailyLimit: 1_000_000, WorkflowID: "topup-top_2"})
	require.True(t, activities.IsType(err, activities.ErrLimitExceeded))
	require.Equal(t, "daily_topup_limit_exceeded", activities.FailureOf(err, "").Code)
	err = r.wallet.ReserveTopUp(r.ctx, activities.ReserveTopUpInput{TopUpID: "top_3", CustomerID: "cus_1", MethodID: "pm_bank",
		Currency: "KRW", Amount: 200_000, Cap: 1_000_000, DailyLimit: 5_000_000, WorkflowID: "topup-top_3"})
	require.Equal(t, "wallet_cap_exceeded", activities.FailureOf(err, "").Code, "a processing top-up counts against the cap")
}

func TestConfirmCodeReturnsOnlyKeyedHashes(t *testing.T) {
	r := newWalletRig(t)
	provider := identity.NewHTTPClient(r.simURL+"/identity", nil)
	ids := &activities.Identity{Provider: provider, Keys: r.keys, Pool: r.pool}
	require.NoError(t, ids.CreateVerification(r.ctx, activities.CreateVerificationInput{
		VerificationID: "idv-cus_1-1", CustomerID: "cus_1", Seq: 1, MaxAttempts: 5, ExpiresAt: inThreeMinutes()}))
	req, err := ids.RequestCode(r.ctx, activities.RequestCodeInput{VerificationID: "idv-cus_1-1", Name: "홍길동", Phone: "01012345678", BirthDate: "19900101"})
	require.NoError(t, err)
	code, err := r.sim.IdentityCode(r.ctx, req.RequestID)
	require.NoError(t, err)

	res, err := ids.ConfirmCode(r.ctx, activities.ConfirmCodeInput{VerificationID: "idv-cus_1-1", RequestID: req.RequestID, Code: code, Attempt: 1})
	require.NoError(t, err)

	person, err := provider.Confirm(r.ctx, req.RequestID, code) // the provider answers a confirmed code again
	require.NoError(t, err)
	payload, err := json.Marshal(res)
	require.NoError(t, err)
	require.NotContains(t, string(payload), person.CI, "the activity result is a workflow payload: no CI in clear")
	require.NotContains(t, string(payload), person.DI)
	require.Equal(t, r.keys.Hash("ci", person.CI), res.CIHash)
	require.Equal(t, r.keys.Hash("di", person.DI), res.DIHash)
}

func inThreeMinutes() time.Time { return time.Now().Add(3 * time.Minute) }

// The wallet hold of a re-run workflow task whose first run already failed the
// payment: refused, and nothing is held, even when the balance would now allow it.
func TestHoldWalletRefusesAPaymentThatAlreadyFailed(t *testing.T) {
	r := newWalletRig(t)
	st := &activities.Store{Pool: r.pool}
	require.NoError(t, st.CreatePayment(r.ctx, activities.CreatePaymentInput{PaymentID: "pay_w", OrderID: "o-w", CustomerID: "cus_1",
		MethodID: "pm_bank", Currency: "KRW", Amount: 5_000, WalletAmount: 5_000, FeeBPS: 300, WorkflowID: "checkout-o-w",
		Items: []activities.ItemInput{{ProducerID: "A", Amount: 5_000}}}))
	require.NoError(t, st.FailPayment(r.ctx, activities.FailPaymentInput{PaymentID: "pay_w", Code: "insufficient_wallet_balance", Message: "no"}))
	err := r.wallet.HoldWallet(r.ctx, activities.HoldWalletInput{PaymentID: "pay_w", CustomerID: "cus_1", Currency: "KRW", Amount: 5_000})
	require.True(t, activities.IsType(err, activities.ErrInvalidRequest), "%v", err)
	require.Equal(t, "payment_closed", activities.FailureOf(err, "").Code)
	require.Zero(t, countRows(t, r.pool, "SELECT count(*) FROM wallet_holds WHERE payment_id = 'pay_w'"))
}
