package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

var receiptRef = activities.ReceiptRef{ReceiptID: "pay_1", PGs: []string{"alpha"}}

func runReceipt(t *testing.T, env testEnv) CashReceiptResult {
	env.ExecuteWorkflow(CashReceipt, CashReceiptInput{ReceiptID: "pay_1", PGs: []string{"alpha"}, RetryEvery: time.Hour, PollEvery: time.Minute})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res CashReceiptResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

// The receipt PG down through a round of bounded retries: an ops event and
// CashReceipt=pending, a wait, then the next round issues it; the look-ups
// then follow it to the NTS's registration.
func TestCashReceiptRetriedInRoundsUntilIssuedThenRegistered(t *testing.T) {
	env := newEnv(t)
	down := errors.New("receipts:alpha unavailable")
	env.OnActivity(receipts.IssueCashReceipt, mock.Anything, receiptRef).Return(activities.CashReceiptState{}, down).Times(5)
	env.OnActivity(receipts.IssueCashReceipt, mock.Anything, receiptRef).Return(activities.CashReceiptState{Status: "issued", ReceiptKey: "rk_1"}, nil).Once()
	env.OnActivity(receipts.ReceiptEvent, mock.Anything, mock.MatchedBy(func(in activities.ReceiptEventInput) bool { return in.Step == "cash_receipt_pending" })).Return(nil).Once()
	env.OnActivity(receipts.ReceiptEvent, mock.Anything, mock.MatchedBy(func(in activities.ReceiptEventInput) bool { return in.Step == "cash_receipt_issued_after_retries" })).Return(nil).Once()
	env.OnActivity(receipts.ReceiptEvent, mock.Anything, mock.MatchedBy(func(in activities.ReceiptEventInput) bool { return in.Step == "cash_receipt_registered" })).Return(nil).Once()
	env.OnActivity(receipts.ObserveCashReceipt, mock.Anything, receiptRef).Return(activities.CashReceiptState{Status: "issued"}, nil).Once()
	env.OnActivity(receipts.ObserveCashReceipt, mock.Anything, receiptRef).Return(activities.CashReceiptState{Status: "registered", IssueNumber: "123"}, nil).Once()
	var states []string
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(CashReceiptKey); ok {
			states = append(states, v)
		}
	}).Return(nil)

	res := runReceipt(t, env)

	require.Equal(t, CashReceiptResult{ReceiptID: "pay_1", Status: "registered"}, res)
	require.Equal(t, []string{"pending", "issued", "registered"}, states)
}

// A PG that refuses the receipt for good: an ops item, never a retry loop.
func TestCashReceiptRefusedIsAnOpsItem(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(receipts.IssueCashReceipt, mock.Anything, receiptRef).Return(activities.CashReceiptState{}, declined("invalid_identity")).Once()
	env.OnActivity(receipts.ReceiptEvent, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(receipts.FailCashReceipt, mock.Anything, mock.MatchedBy(func(in activities.FailCashReceiptInput) bool { return in.ReceiptID == "pay_1" })).Return(nil).Once()

	require.Equal(t, "failed", runReceipt(t, env).Status)
	env.AssertNotCalled(t, "ObserveCashReceipt", mock.Anything, mock.Anything)
}

// A split wallet+card payment receipted at spend: the receipt stands for the
// wallet part and its share of the tax-free amount, issued by an abandoned
// child under receipt-{payment}; the payment succeeds whatever the child does.
func TestCheckoutOwesAReceiptForTheWalletPartOnly(t *testing.T) {
	env := newEnv(t)
	env.RegisterWorkflowWithOptions(CashReceipt, workflow.RegisterOptions{Name: CashReceiptName})
	in := splitInput() // 15,000: wallet 5,000, card 10,000
	in.Items[0].TaxFreeAmount = 6_000
	in.CashReceipt = &CashReceiptPlan{Wallet: true, PGs: []string{"beta", "alpha"}}
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(receipts.PlanCashReceipt, mock.Anything, activities.PlanCashReceiptInput{
		ReceiptID: "pay_1", PaymentID: "pay_1", CustomerID: "cus_1", Currency: "KRW", CoversWallet: true,
		Amount: 5_000, TaxFree: 2_000, // the card's 10,000 carries 4,000 of the 6,000
	}).Return(nil).Once()
	var child CashReceiptInput
	env.OnWorkflow(CashReceiptName, mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		child = args.Get(1).(CashReceiptInput)
	}).Return(CashReceiptResult{}, errors.New("the receipt's fate is not the payment's")).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	require.Equal(t, CashReceiptInput{ReceiptID: "pay_1", PGs: []string{"alpha", "beta"}}, child, "the PG that served the payment goes first")
}

// A card payment owes none: no receipt step, no child.
func TestCheckoutByCardOwesNoReceipt(t *testing.T) {
	env := newEnv(t)
	in := splitInput()
	in.CashReceipt = &CashReceiptPlan{Method: false, Wallet: false}
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()

	require.Equal(t, StatusSucceeded, runCheckout(t, env, in).Status)
	env.AssertNotCalled(t, "PlanCashReceipt", mock.Anything, mock.Anything)
}

// A refund's receipt cancel waits while the receipt is not issued yet, then
// cancels.
func TestCashReceiptCancelWaitsForTheIssue(t *testing.T) {
	env := newEnv(t)
	notYet := activities.CashReceiptState{}
	waitErr := temporal.NewNonRetryableApplicationError("not issued yet", activities.ErrReceiptNotIssued, nil)
	ref := activities.CancelCashReceiptInput{RefundID: "rf_1"}
	env.OnActivity(receipts.CancelCashReceipt, mock.Anything, ref).Return(notYet, waitErr).Twice()
	env.OnActivity(receipts.CancelCashReceipt, mock.Anything, ref).Return(activities.CashReceiptState{Status: "issued"}, nil).Once()

	env.ExecuteWorkflow(CashReceiptCancel, CashReceiptCancelInput{RefundID: "rf_1", ReceiptID: "pay_1", RetryEvery: time.Minute})
	require.NoError(t, env.GetWorkflowError())
	var res CashReceiptCancelResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "done", res.Status)
}
