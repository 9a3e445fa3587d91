package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/paysaga/paysaga/activities"
)

// newOpenEnv is newRiskEnv without its version preference: a card-only
// checkout opens in one commit (i19-one-commit-before-pg). A test mocks the
// step-by-step activities only where it expects them.
func newOpenEnv(t *testing.T) testEnv { return newRegisteredEnv(t) }

func onOpen(env testEnv) *testsuite.MockCallWrapper {
	return env.OnActivity(opener.OpenCardPayment, mock.Anything, mock.Anything)
}

func TestCheckoutCardOnlyOpensInOneCommitThenCaptures(t *testing.T) {
	env := newOpenEnv(t)
	in := checkoutInput()
	in.InstallmentMonths, in.InterestFreePlan = 3, "promo"
	onOpen(env).Return(func(_ context.Context, o activities.OpenCardPaymentInput) (activities.OpenCardPaymentResult, error) {
		// One input carries every write of the opening and the first PG's request.
		require.Equal(t, "pay_1", o.Payment.PaymentID)
		require.Len(t, o.Payment.Items, 2)
		require.Equal(t, "pm_1", o.Risk.MethodID)
		require.Equal(t, &activities.RecordInstallmentInput{PaymentID: "pay_1", Months: 3, Plan: "promo"}, o.Installment)
		require.Equal(t, "alpha", o.Authorize.PG)
		require.Equal(t, int64(15_000), o.Authorize.Amount)
		return activities.OpenCardPaymentResult{AuthorizeResult: activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}}, nil
	}).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, CheckoutResult{PaymentID: "pay_1", Status: StatusSucceeded, PG: "alpha"}, res)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
}

func TestCheckoutOpenedInOneCommitFailsOverWhenPrimaryIsDown(t *testing.T) {
	env := newOpenEnv(t)
	onOpen(env).Return(activities.OpenCardPaymentResult{}, unavailable()).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "beta").Return(activities.AuthorizeResult{PG: "beta", PaymentKey: "pk_b", Captured: true}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{
		PaymentID: "pay_1", PG: "beta", PaymentKey: "pk_b", Authorized: true, FailedOver: true,
	}).Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusSucceeded, res.Status)
	require.Equal(t, "beta", res.PG)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.MatchedBy(func(in activities.AuthorizeInput) bool { return in.PG == "alpha" }))
}

func TestCheckoutOpenedInOneCommitFailsOnADeclineOrARiskBlock(t *testing.T) {
	for name, cause := range map[string]error{
		"card_declined": declined("card_declined"),
		"risk_blocked":  activities.RiskBlockedError(activities.RiskDecision{Decision: "block", Rule: "blocklist"}),
	} {
		t.Run(name, func(t *testing.T) {
			env := newOpenEnv(t)
			onOpen(env).Return(activities.OpenCardPaymentResult{}, cause).Once()
			onFail(env, name).Return(nil).Once()

			res := runCheckout(t, env, checkoutInput())

			require.Equal(t, StatusFailed, res.Status)
			require.Equal(t, name, res.FailureCode)
			env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
			env.AssertNotCalled(t, "VoidByKey", mock.Anything, mock.Anything)
			env.AssertNotCalled(t, "PostCapture", mock.Anything, mock.Anything)
		})
	}
}

// Retries ran out on the transaction (nothing was sent): the step-by-step
// opening takes over (idempotent), and its Authorize at the first PG is a
// retry there, not a failover (Authorize's claim sees any attempt recorded).
func TestCheckoutOpeningNotCommittedContinuesStepByStep(t *testing.T) {
	env := newOpenEnv(t)
	notCommitted := temporal.NewApplicationError("not committed", activities.ErrOpeningNotCommitted)
	onOpen(env).Return(activities.OpenCardPaymentResult{}, notCommitted) // every retry
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(riskActs.EvaluateRisk, mock.Anything, mock.Anything).Return(activities.RiskDecision{Decision: "allow"}, nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusSucceeded, res.Status)
	require.Equal(t, "alpha", res.PG)
}

// Retries ran out at the PG with the outcome unknown: as when Authorize's do,
// the payment fails and whatever the key holds at the PG is voided; it is not
// sent again (TestAmbiguousOneCallApprovalIsCancelled end to end).
func TestCheckoutOpeningWithUnknownPGOutcomeVoidsByKeyAndFails(t *testing.T) {
	env := newOpenEnv(t)
	onOpen(env).Return(activities.OpenCardPaymentResult{}, errors.New("authorize outcome unknown")) // every retry
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.VoidByKey, mock.Anything, activities.VoidByKeyInput{PaymentID: "pay_1", PG: "alpha"}).Return(nil).Once()
	onFail(env, "authorize_failed").Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusFailed, res.Status)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "EvaluateRisk", mock.Anything, mock.Anything)
}

// A split checkout keeps its wallet hold between the risk evaluation and the
// card: it never opens in one commit.
func TestCheckoutWithAnotherTenderOpensStepByStep(t *testing.T) {
	env := newOpenEnv(t)
	in := checkoutInput()
	in.WalletAmount = 5_000
	// Mocked so that a one-commit opening would succeed and skip the hold.
	onOpen(env).Return(activities.OpenCardPaymentResult{AuthorizeResult: activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}}, nil).Maybe()
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(riskActs.EvaluateRisk, mock.Anything, mock.Anything).Return(activities.RiskDecision{Decision: "allow"}, nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	env.AssertNotCalled(t, "OpenCardPayment", mock.Anything, mock.Anything)
}
