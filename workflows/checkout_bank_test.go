package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
)

func bankCheckoutInput() CheckoutInput {
	in := checkoutInput()
	in.MethodKind = MethodBankAccount
	return in
}

// A bank account is billed where RouteMethod says accounts are billed (the
// firm-banking connector under the defaults), never at the card PGs, in one
// call: no capture step, one commit after the debit.
func TestBankAccountCheckoutIsDebitedWhereAccountsAreBilled(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.RouteMethod, mock.Anything, activities.RouteMethodInput{
		PaymentID: "pay_1", MethodID: "pm_1", Kind: MethodBankAccount, PGs: []string{"alpha", "beta"},
	}).Return(activities.RouteMethodResult{PGs: []string{"bank"}}, nil).Once()
	onAuthorize(env, "bank").Return(activities.AuthorizeResult{PG: "bank", PaymentKey: "txn_1", Captured: true}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{
		PaymentID: "pay_1", PG: "bank", PaymentKey: "txn_1", Authorized: true,
	}).Return(nil).Once()

	res := runCheckout(t, env, bankCheckoutInput())

	require.Equal(t, CheckoutResult{PaymentID: "pay_1", Status: StatusSucceeded, PG: "bank"}, res)
	env.AssertNotCalled(t, "Capture", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

// A short balance at the bank is a final decline: nothing to pay back.
func TestBankAccountDeclineTransfersNothingBack(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(payments.RouteMethod, mock.Anything, mock.Anything).Return(activities.RouteMethodResult{PGs: []string{"bank"}}, nil).Once()
	onAuthorize(env, "bank").Return(activities.AuthorizeResult{}, declined("insufficient_funds")).Once()
	onFail(env, "insufficient_funds").Return(nil).Once()

	res := runCheckout(t, env, bankCheckoutInput())

	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "insufficient_funds", res.FailureCode)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "VoidByKey", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "PostCapture", mock.Anything, mock.Anything)
}

// No connector bills accounts: the payment fails before any provider call.
func TestBankAccountWithoutAConnectorFailsUnavailable(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(payments.RouteMethod, mock.Anything, mock.Anything).Return(activities.RouteMethodResult{}, unavailable()).Once()
	onFail(env, "provider_unavailable").Return(nil).Once()

	res := runCheckout(t, env, bankCheckoutInput())

	require.Equal(t, "provider_unavailable", res.FailureCode)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
}

// A card checkout never asks for a route (its history keeps its shape).
func TestCardCheckoutAsksNoRoute(t *testing.T) {
	env := newEnv(t)
	in := checkoutInput()
	in.MethodKind = MethodCard
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()

	require.Equal(t, StatusSucceeded, runCheckout(t, env, in).Status)
	env.AssertNotCalled(t, "RouteMethod", mock.Anything, mock.Anything)
}
