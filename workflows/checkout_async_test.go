package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/paysaga/paysaga/activities"
)

func pendingAuth(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Pending: true}, nil).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, mock.Anything).Return(nil)
}

func succeedAfterAuth(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()
}

// The webhook's signal decides; a signal for another payment key, a duplicate
// and a later contradicting one change nothing; the PG is never queried.
func TestCheckoutPendingAuthorizationDecidedBySignal(t *testing.T) {
	env := newEnv(t)
	pendingAuth(env)
	succeedAfterAuth(env)
	send := func(after time.Duration, sig PGResultSignal) {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPGResult, sig) }, after)
	}
	send(time.Second, PGResultSignal{EventID: "e0", PaymentKey: "pk_other", Status: "declined"})
	send(2*time.Second, PGResultSignal{EventID: "e1", PaymentKey: "pk_1", Status: "authorized"})
	send(3*time.Second, PGResultSignal{EventID: "e1", PaymentKey: "pk_1", Status: "authorized"})
	send(4*time.Second, PGResultSignal{EventID: "e2", PaymentKey: "pk_1", Status: "declined"})

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusSucceeded, res.Status)
	env.AssertNotCalled(t, "GetAuthorization", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

func TestCheckoutPendingAuthorizationDeclinedBySignalVoidsNothing(t *testing.T) {
	env := newEnv(t)
	pendingAuth(env)
	onFail(env, "card_declined").Return(nil).Once()
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalPGResult, PGResultSignal{PaymentKey: "pk_1", Status: "declined", Code: "CARD_DECLINED"})
	}, time.Second)

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "card_declined", res.FailureCode)
	env.AssertNotCalled(t, "Capture", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

// No webhook within the timeout: the PG is asked; authorized goes on, still
// pending fails and voids.
func TestCheckoutPendingAuthorizationWithoutWebhookQueriesThePG(t *testing.T) {
	t.Run("authorized", func(t *testing.T) {
		env := newEnv(t)
		pendingAuth(env)
		env.OnActivity(payments.GetAuthorization, mock.Anything, activities.GetAuthorizationInput{PG: "alpha", PaymentKey: "pk_1"}).
			Return(activities.AuthorizationStatus{Status: "authorized"}, nil).Once()
		succeedAfterAuth(env)
		in := checkoutInput()
		in.AsyncAuthTimeout = time.Minute

		require.Equal(t, StatusSucceeded, runCheckout(t, env, in).Status)
	})
	t.Run("still pending", func(t *testing.T) {
		env := newEnv(t)
		pendingAuth(env)
		env.OnActivity(payments.GetAuthorization, mock.Anything, mock.Anything).Return(activities.AuthorizationStatus{Status: "pending"}, nil).Once()
		onCancel(env, "payment:pay_1:void").Return(nil).Once()
		onFail(env, "authorization_timeout").Return(nil).Once()

		res := runCheckout(t, env, checkoutInput())

		require.Equal(t, StatusFailed, res.Status)
		require.Equal(t, "authorization_timeout", res.FailureCode)
	})
}
