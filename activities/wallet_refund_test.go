package activities_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
)

func (r *walletRig) refunds() *activities.WalletRefunds {
	return &activities.WalletRefunds{Bank: bank.NewHTTPClient(r.simURL+"/bank", nil), Keys: r.keys, Pool: r.pool}
}

func (r *walletRig) fund(t *testing.T, amount int64) {
	t.Helper()
	require.NoError(t, pgx.BeginFunc(r.ctx, r.pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(r.ctx, db.New(tx), ledger.TopUpJournal("fund", "cus_1", "KRW", amount))
		return err
	}))
}

func (r *walletRig) walletBalance(t *testing.T) int64 {
	t.Helper()
	raw, err := db.New(r.pool).AccountBalance(r.ctx, db.AccountBalanceParams{Account: ledger.Wallet("cus_1"), Currency: "KRW"})
	require.NoError(t, err)
	return -raw
}

func (r *walletRig) liabilities(t *testing.T) int64 {
	t.Helper()
	s, err := ledger.ComputeSafeguarding(r.ctx, db.New(r.pool), "KRW")
	require.NoError(t, err)
	return s.Liabilities()
}

var refundRules = activities.WalletRefundRules{MinAmount: 1000, Fee: 500, RequireVerified: true}

// A refund leaves the wallet when reserved, reaches the bank once (amount - fee)
// however often the transfer runs, and the safeguarding report owes it until booked.
func TestWalletRefundMovesTheBalanceOnce(t *testing.T) {
	r := newWalletRig(t)
	r.fund(t, 50_000)
	w := r.refunds()
	in := activities.ReserveWalletRefundInput{RefundID: "wr_1", CustomerID: "cus_1", MethodID: "pm_bank", Currency: "KRW", Rules: refundRules, WorkflowID: "wallet-refund-wr_1"}

	for range 2 { // a retried activity
		res, err := w.ReserveWalletRefund(r.ctx, in)
		require.NoError(t, err)
		require.Equal(t, activities.ReserveWalletRefundResult{Amount: 50_000, Fee: 500}, res, "no amount: the whole balance")
	}
	require.Zero(t, r.walletBalance(t), "the amount cannot be spent meanwhile")
	require.EqualValues(t, 50_000, r.liabilities(t), "still owed while on its way")

	ref := activities.WalletRefundRef{RefundID: "wr_1"}
	for range 2 {
		txn, err := w.TransferWalletRefund(r.ctx, ref)
		require.NoError(t, err)
		require.True(t, txn.Found)
		require.NoError(t, w.CompleteWalletRefund(r.ctx, activities.CompleteWalletRefundInput{RefundID: "wr_1", TransactionID: txn.TransactionID}))
	}
	n, amount := r.bankRecords(t, providersim.KindTransfer)
	require.Equal(t, 1, n)
	require.EqualValues(t, 49_500, amount)
	require.Zero(t, r.liabilities(t))
	require.EqualValues(t, -500, r.balanceOf(t, ledger.RevenueFees), "the fee is revenue")
	got, err := db.New(r.pool).GetWalletRefund(r.ctx, "wr_1")
	require.NoError(t, err)
	require.Equal(t, "succeeded", got.Status)
	// Released after success: nothing happens.
	require.NoError(t, w.ReleaseWalletRefund(r.ctx, activities.ReleaseWalletRefundInput{RefundID: "wr_1", Code: "x"}))
	require.Zero(t, r.walletBalance(t))
}

// A refund the bank never made gives the whole amount back to the wallet.
func TestWalletRefundReleaseRestoresTheBalance(t *testing.T) {
	r := newWalletRig(t)
	r.fund(t, 50_000)
	w := r.refunds()
	amount := int64(20_000)
	_, err := w.ReserveWalletRefund(r.ctx, activities.ReserveWalletRefundInput{RefundID: "wr_2", CustomerID: "cus_1", MethodID: "pm_bank",
		Currency: "KRW", Amount: amount, Rules: refundRules, WorkflowID: "wallet-refund-wr_2"})
	require.NoError(t, err)
	require.EqualValues(t, 30_000, r.walletBalance(t))
	found, err := w.FindWalletRefundTransfer(r.ctx, activities.WalletRefundRef{RefundID: "wr_2"})
	require.NoError(t, err)
	require.False(t, found.Found)
	for range 2 {
		require.NoError(t, w.ReleaseWalletRefund(r.ctx, activities.ReleaseWalletRefundInput{RefundID: "wr_2", Code: "account_closed", Message: "closed"}))
	}
	require.EqualValues(t, 50_000, r.walletBalance(t), "the balance is intact")
	require.EqualValues(t, 50_000, r.liabilities(t))
	n, _ := r.bankRecords(t, providersim.KindTransfer)
	require.Zero(t, n)
}

func TestWalletRefundConditions(t *testing.T) {
	r := newWalletRig(t)
	r.fund(t, 5_000)
	w := r.refunds()
	for _, c := range []struct {
		name   string
		amount int64
		method string
		code   string
	}{
		{"more than the balance", 6_000, "pm_bank", "insufficient_wallet_balance"},
		{"below the minimum", 900, "pm_bank", "wallet_refund_below_minimum"},
		{"not a bank account of the customer", 1_000, "pm_nope", "unknown_payment_method"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.ReserveWalletRefund(r.ctx, activities.ReserveWalletRefundInput{RefundID: "wr_" + c.code, CustomerID: "cus_1", MethodID: c.method,
				Currency: "KRW", Amount: c.amount, Rules: refundRules})
			require.Equal(t, c.code, activities.FailureOf(err, "").Code)
		})
	}
	require.EqualValues(t, 5_000, r.walletBalance(t))
	require.Zero(t, r.rowCount(t, "wallet_refunds"))
}

func (r *walletRig) balanceOf(t *testing.T, account string) int64 {
	t.Helper()
	b, err := db.New(r.pool).AccountBalance(r.ctx, db.AccountBalanceParams{Account: account, Currency: "KRW"})
	require.NoError(t, err)
	return b
}

func (r *walletRig) rowCount(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, r.pool.QueryRow(r.ctx, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}
