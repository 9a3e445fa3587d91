package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
)

func splitInput() CheckoutInput {
	in := checkoutInput()
	in.WalletAmount = 5_000 // of 15,000: the card pays 10,000
	return in
}

var holdRef = activities.HoldRef{PaymentID: "pay_1"}

func TestCheckoutSplitHoldsWalletAndChargesTheRest(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, activities.HoldWalletInput{PaymentID: "pay_1", CustomerID: "cus_1", Currency: "KRW", Amount: 5_000}).Return(nil).Once()
	env.OnActivity(payments.Authorize, mock.Anything, mock.MatchedBy(func(in activities.AuthorizeInput) bool { return in.PG == "alpha" && in.Amount == 10_000 })).
		Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, activities.CaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1", Amount: 10_000}).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1"}).Return(nil).Once()

	res := runCheckout(t, env, splitInput())

	require.Equal(t, StatusSucceeded, res.Status)
	env.AssertNotCalled(t, "ReleaseHold", mock.Anything, mock.Anything)
}

func TestCheckoutSplitCardDeclineReleasesHold(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{}, declined("card_declined")).Once()
	env.OnActivity(wallet.ReleaseHold, mock.Anything, holdRef).Return(nil).Once()
	onFail(env, "card_declined").Return(nil).Once()

	res := runCheckout(t, env, splitInput())

	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "card_declined", res.FailureCode)
	env.AssertNotCalled(t, "PostCapture", mock.Anything, mock.Anything)
}

func TestCheckoutSplitLedgerFailureCancelsCaptureAndReleasesHold(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(temporal.NewNonRetryableApplicationError("broken", activities.ErrInvalidRequest, nil)).Once()
	onCancel(env, "payment:pay_1:cancel-capture").Return(nil).Once()
	env.OnActivity(wallet.ReleaseHold, mock.Anything, holdRef).Return(nil).Once()
	onFail(env, "ledger_error").Return(nil).Once()

	res := runCheckout(t, env, splitInput())

	require.Equal(t, StatusFailed, res.Status)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.MatchedBy(func(in activities.CancelInput) bool { return in.Key == "payment:pay_1:void" }))
}

func TestCheckoutWalletOnlyNeverCallsThePG(t *testing.T) {
	env := newEnv(t)
	in := checkoutInput()
	in.WalletAmount, in.MethodID = in.Amount, ""
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{PaymentID: "pay_1"}).Return(nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, CheckoutResult{PaymentID: "pay_1", Status: StatusSucceeded}, res)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
}

func TestCheckoutWalletShortFailsWithoutCharging(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(declined("insufficient_wallet_balance")).Once()
	onFail(env, "insufficient_wallet_balance").Return(nil).Once()

	res := runCheckout(t, env, splitInput())

	require.Equal(t, "insufficient_wallet_balance", res.FailureCode)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "ReleaseHold", mock.Anything, mock.Anything)
}
