package workflows

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

type testEnv = *testsuite.TestWorkflowEnvironment

// newEnv is a test environment where every risk evaluation allows the payment.
func newEnv(t *testing.T) testEnv {
	env := newRiskEnv(t)
	env.OnActivity(riskActs.EvaluateRisk, mock.Anything, mock.Anything).Return(activities.RiskDecision{Decision: "allow"}, nil).Maybe()
	// A refund of a payment without a cash receipt plans no receipt cancel.
	env.OnActivity(receipts.PlanCashReceiptCancel, mock.Anything, mock.Anything).Return(activities.PlanCashReceiptCancelResult{}, nil).Maybe()
	return env
}

// newRiskEnv leaves the risk evaluation to the test.
func newRiskEnv(t *testing.T) testEnv {
	env := newRegisteredEnv(t)
	// These tests drive the step-by-step opening (every recorded run, and any
	// checkout with another tender); checkout_open_test.go the one-commit one.
	env.SetWorkerOptions(worker.Options{PreferredVersionProvider: stepByStepOpening})
	return env
}

// newRegisteredEnv has every activity struct registered and no mock yet.
func newRegisteredEnv(t *testing.T) testEnv {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Payments{})
	env.RegisterActivity(&activities.Store{})
	env.RegisterActivity(&activities.Ledger{})
	env.RegisterActivity(&activities.Refunds{})
	env.RegisterActivity(&activities.Methods{})
	env.RegisterActivity(&activities.Identity{})
	env.RegisterActivity(&activities.Wallet{})
	env.RegisterActivity(&activities.Payouts{})
	env.RegisterActivity(&activities.Events{})
	env.RegisterActivity(&activities.Recon{})
	env.RegisterActivity(&activities.Risk{})
	env.RegisterActivity(&activities.Points{})
	env.RegisterActivity(&activities.Opening{})
	env.RegisterActivity(&activities.Receipts{})
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

// stepByStepOpening records the one-commit opening's marker as the default
// version: the checkout opens as runs recorded before it did.
func stepByStepOpening(in worker.PreferredVersionProviderInput) *worker.VersionPreference {
	if in.ChangeID == openOneCommitChangeID {
		return &worker.VersionPreference{Version: workflow.DefaultVersion}
	}
	return nil
}

func checkoutInput() CheckoutInput {
	return CheckoutInput{
		PaymentID: "pay_1", OrderID: "o-1", CustomerID: "cus_1", MethodID: "pm_1",
		Currency: "KRW", Amount: 15_000, FeeBPS: 300, PGs: []string{"alpha", "beta"},
		Items: []CheckoutItem{{ProducerID: "A", Amount: 10_000}, {ProducerID: "B", Amount: 5_000}},
	}
}

func declined(code string) error {
	return temporal.NewNonRetryableApplicationError(code, activities.ErrDeclined, nil, activities.Failure{Code: code, Message: code})
}

func unavailable() error {
	return temporal.NewNonRetryableApplicationError("down", activities.ErrProviderUnavailable, nil,
		activities.Failure{Code: "provider_unavailable", Message: "down"})
}

func onAuthorize(env *testsuite.TestWorkflowEnvironment, pg string) *testsuite.MockCallWrapper {
	return env.OnActivity(payments.Authorize, mock.Anything, mock.MatchedBy(func(in activities.AuthorizeInput) bool { return in.PG == pg }))
}

func onCancel(env *testsuite.TestWorkflowEnvironment, key string) *testsuite.MockCallWrapper {
	return env.OnActivity(payments.Cancel, mock.Anything, mock.MatchedBy(func(in activities.CancelInput) bool { return in.Key == key }))
}

func onFail(env *testsuite.TestWorkflowEnvironment, code string) *testsuite.MockCallWrapper {
	return env.OnActivity(store.FailPayment, mock.Anything, mock.MatchedBy(func(in activities.FailPaymentInput) bool { return in.Code == code }))
}

func runCheckout(t *testing.T, env *testsuite.TestWorkflowEnvironment, in CheckoutInput) CheckoutResult {
	env.ExecuteWorkflow(Checkout, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res CheckoutResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestCheckoutSucceeds(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, activities.MarkAuthorizedInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1"}).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, activities.CaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1", Amount: 15_000}).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1"}).Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, CheckoutResult{PaymentID: "pay_1", Status: StatusSucceeded, PG: "alpha"}, res)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

func TestCheckoutDeclineChargesNothingAndUndoesNothing(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{}, declined("card_declined")).Once()
	onFail(env, "card_declined").Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "card_declined", res.FailureCode)
	env.AssertNotCalled(t, "Capture", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "VoidByKey", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "PostCapture", mock.Anything, mock.Anything)
}

func TestCheckoutCaptureFailureVoidsAuthorization(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil)
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(declined("capture_failed")).Once()
	onCancel(env, "payment:pay_1:void").Return(nil).Once()
	onFail(env, "capture_failed").Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "capture_failed", res.FailureCode)
	env.AssertNotCalled(t, "PostCapture", mock.Anything, mock.Anything)
}

func TestCheckoutFailsOverToSecondaryWhenPrimaryIsDown(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{}, unavailable()).Once()
	onAuthorize(env, "beta").Return(activities.AuthorizeResult{PG: "beta", PaymentKey: "pk_b"}, nil).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, activities.RecordEventInput{PaymentID: "pay_1", Step: "pg_unavailable:alpha"}).Return(nil).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, activities.RecordEventInput{PaymentID: "pay_1", Step: "failover",
		Detail: map[string]string{"from": "alpha", "to": "beta"}}).Return(nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, activities.MarkAuthorizedInput{PaymentID: "pay_1", PG: "beta", PaymentKey: "pk_b", FailedOver: true}).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, mock.MatchedBy(func(in activities.CaptureInput) bool { return in.PG == "beta" })).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{PaymentID: "pay_1", PG: "beta", PaymentKey: "pk_b"}).Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusSucceeded, res.Status)
	require.Equal(t, "beta", res.PG)
}

func TestCheckoutFailsWhenEveryPGIsDown(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{}, unavailable()).Once()
	onAuthorize(env, "beta").Return(activities.AuthorizeResult{}, unavailable()).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, mock.Anything).Return(nil).Twice()
	onFail(env, "provider_unavailable").Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, "provider_unavailable", res.FailureCode)
	env.AssertNotCalled(t, "Capture", mock.Anything, mock.Anything)
}

// A PG that keeps timing out leaves the outcome unknown: the workflow gives up
// after bounded retries and voids whatever may exist under its key.
func TestCheckoutUnknownAuthorizeOutcomeIsVoidedByKey(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{}, errors.New("timeout"))
	env.OnActivity(payments.VoidByKey, mock.Anything, activities.VoidByKeyInput{PaymentID: "pay_1", PG: "alpha"}).Return(nil).Once()
	onFail(env, "authorize_failed").Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, "authorize_failed", res.FailureCode)
	env.AssertNumberOfCalls(t, "Authorize", 6) // bounded: MaximumAttempts
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.MatchedBy(func(in activities.AuthorizeInput) bool { return in.PG == "beta" }))
}

func TestCheckoutLedgerFailureCancelsCapture(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil)
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil)
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(
		temporal.NewNonRetryableApplicationError("broken", activities.ErrInvalidRequest, nil))
	onCancel(env, "payment:pay_1:cancel-capture").Return(nil).Once()
	onFail(env, "ledger_error").Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, "ledger_error", res.FailureCode)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.MatchedBy(func(in activities.CancelInput) bool { return in.Key == "payment:pay_1:void" }))
}

func TestCheckoutRejectsInconsistentInputWithoutSideEffects(t *testing.T) {
	cases := map[string]func(*CheckoutInput){
		"items do not sum": func(in *CheckoutInput) { in.Items[0].Amount = 1 },
		"zero amount":      func(in *CheckoutInput) { in.Amount = 0 },
		"no items":         func(in *CheckoutInput) { in.Items = nil },
		"no PG":            func(in *CheckoutInput) { in.PGs = nil },
		"negative item":    func(in *CheckoutInput) { in.Items[1].Amount = -5_000; in.Items[0].Amount = 20_000 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			in := checkoutInput()
			mutate(&in)
			res := runCheckout(t, env, in)
			require.Equal(t, StatusFailed, res.Status)
			require.Equal(t, "invalid_request", res.FailureCode)
			env.AssertNotCalled(t, "CreatePayment", mock.Anything, mock.Anything)
		})
	}
}

func TestCheckoutBlockedByRiskFailsBeforeAnythingMoves(t *testing.T) {
	env := newRiskEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(riskActs.EvaluateRisk, mock.Anything, mock.MatchedBy(func(in activities.EvaluateRiskInput) bool {
		return in.PaymentID == "pay_1" && in.MethodID == "pm_1" && in.DeviceID == "dev-1"
	})).Return(activities.RiskDecision{Decision: "block", Rule: "blocklist:customer"}, nil).Once()
	onFail(env, "risk_blocked").Return(nil).Once()
	in := checkoutInput()
	in.DeviceID = "dev-1"

	res := runCheckout(t, env, in)

	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "risk_blocked", res.FailureCode)
	// No Authorize, HoldWallet or PostCapture mock: any money step would fail the test.
}

// A PG that approves and captures in one call: no MarkAuthorized transaction
// and no capture call; the authorization is recorded with the posting.
func TestCheckoutApprovedInOneCallCommitsOnceAfterThePG(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1", Authorized: true}).
		Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, CheckoutResult{PaymentID: "pay_1", Status: StatusSucceeded, PG: "alpha"}, res)
	env.AssertNotCalled(t, "MarkAuthorized", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Capture", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

// When that one posting fails, the PG's key still reaches the payment row, the
// capture is cancelled at the PG and the payment fails.
func TestCheckoutApprovedInOneCallPostingFailsCancelsAndKeepsTheKey(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).
		Return(temporal.NewNonRetryableApplicationError("ledger down", "LedgerError", nil)).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, activities.MarkAuthorizedInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1"}).Return(nil).Once()
	onCancel(env, "payment:pay_1:cancel-capture").Return(nil).Once()
	onFail(env, "ledger_error").Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "ledger_error", res.FailureCode)
}
