package verify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/verify"
)

func (w *world) receiptsRun(at string) verify.Result {
	w.t.Helper()
	rep, err := verify.Run(w.ctx, verify.Sources{Pool: w.pool, Sim: w.admin, CashReceiptAt: at})
	require.NoError(w.t, err)
	return rep.Get(verify.CashReceiptsMatch)
}

// The cash-receipt invariant (issue 14): receipted at top-up, a top-up owes a
// receipt until the sandbox has issued it once and the row shows it; receipted
// at spend, the top-up must have none and the wallet part must; a card
// payment with a receipt, or a cancel at the sandbox the row does not show,
// is a breach.
func TestCashReceiptInvariant(t *testing.T) {
	w := newWorld(t)
	w.consistent()
	w.topUp("topup_r1", 30_000)
	require.True(t, w.receiptsRun("").OK(), "wallet parts and top-ups are not judged without the rule")
	require.Equal(t, []string{"top1: owes a cash receipt and has none", "topup_r1: owes a cash receipt and has none"},
		w.receiptsRun(config.CashReceiptAtTopUp).Breaches)

	receipts, err := toss.New(toss.Config{Name: "alpha", BaseURL: w.sim + "/toss/alpha", SecretKey: config.DevTossSecretKey}, nil)
	require.NoError(t, err)
	r, err := receipts.IssueCashReceipt(w.ctx, pg.IssueCashReceiptRequest{IdempotencyKey: "receipt:topup_r1:issue", OrderID: "topup_r1",
		Amount: 30_000, Type: pg.ReceiptIncomeDeduction, Identity: pg.SelfIssueNumber})
	require.NoError(t, err)
	w.exec(`INSERT INTO cash_receipts (id, topup_id, customer_id, covers_method, covers_wallet, currency, amount, tax_free, status, pg, receipt_key)
		VALUES ('topup_r1', 'topup_r1', 'c1', false, false, 'KRW', 30000, 0, 'registered', 'alpha', $1)`, r.ReceiptKey)
	res := w.receiptsRun(config.CashReceiptAtTopUp)
	require.Equal(t, []string{"top1: owes a cash receipt and has none"}, res.Breaches)
	require.Equal(t, 5, res.Checked, "three payments (one a membership charge) and two top-ups")

	require.Equal(t, []string{"pay2: owes a cash receipt and has none", "topup_r1: a top-up has a receipt, but receipts are issued at spend"},
		w.receiptsRun(config.CashReceiptAtSpend).Breaches)

	// A cancel at the sandbox the row does not show; a card payment with a receipt.
	_, err = receipts.CancelCashReceipt(w.ctx, pg.CancelCashReceiptRequest{IdempotencyKey: "receipt:topup_r1:cancel:x", ReceiptKey: r.ReceiptKey, Amount: 1_000})
	require.NoError(t, err)
	w.exec(`INSERT INTO cash_receipts (id, payment_id, customer_id, covers_method, covers_wallet, currency, amount, tax_free, status)
		VALUES ('pay1', 'pay1', 'c1', true, false, 'KRW', 15000, 0, 'pending')`)
	require.Equal(t, []string{"pay1: a card part has a cash receipt", "pay1: receipt still pending",
		"top1: owes a cash receipt and has none", "topup_r1: alpha cancelled 1000, the row says 0"},
		w.receiptsRun(config.CashReceiptAtTopUp).Breaches)
}
