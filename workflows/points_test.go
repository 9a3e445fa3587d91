package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
)

func pointsCheckout() CheckoutInput {
	in := checkoutInput()
	in.WalletAmount = 5_000 // points are a rate of the card part only
	in.PointsRateBPS, in.PointsValidity = 100, 5*365*24*time.Hour
	return in
}

// mockAuthorizedCheckout mocks a split checkout up to its one-call approval.
func mockAuthorizedCheckout(env testEnv) {
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Authorize, mock.Anything, mock.Anything).Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Maybe() // a one-call PG books it with the capture
}

func mockPaidCheckout(env testEnv) {
	mockAuthorizedCheckout(env)
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()
}

// earningAtCapture matches a posting that earns in its own transaction
// (i19-points-in-posting) base at rate.
func earningAtCapture(base, rate int64) any {
	return mock.MatchedBy(func(in activities.PostCaptureInput) bool {
		e := in.Points
		return in.PaymentID == "pay_1" && e != nil && e.PaymentID == "pay_1" && e.CustomerID == "cus_1" && e.Base == base && e.RateBPS == rate &&
			e.Validity == 5*365*24*time.Hour && !e.At.IsZero()
	})
}

// Points are earned when the payment is captured and booked, in the
// posting's transaction (issue 19: no commit of their own), at the rate of
// the card part, valid for the configured time from the workflow's clock.
func TestCheckoutEarnsPointsAtCapture(t *testing.T) {
	env := newEnv(t)
	mockAuthorizedCheckout(env)
	env.OnActivity(book.PostCaptureEarning, mock.Anything, earningAtCapture(10_000, 100)).Return(activities.PostCaptureResult{PointsEarned: 100}, nil).Once()

	res := runCheckout(t, env, pointsCheckout())

	require.Equal(t, StatusSucceeded, res.Status)
	require.EqualValues(t, 100, res.PointsEarned)
	env.AssertNotCalled(t, "PostCapture", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "EarnPoints", mock.Anything, mock.Anything)
}

// A posting that fails (its earning with it) fails the checkout as any
// posting failure does: the captured card part is cancelled.
func TestCheckoutPostingWithPointsFails(t *testing.T) {
	env := newEnv(t)
	mockAuthorizedCheckout(env)
	env.OnActivity(book.PostCaptureEarning, mock.Anything, mock.Anything).
		Return(activities.PostCaptureResult{}, temporal.NewNonRetryableApplicationError("db down", "Test", errors.New("db down"))).Once()
	env.OnActivity(payments.Cancel, mock.Anything, mock.MatchedBy(func(in activities.CancelInput) bool { return in.Key == "payment:pay_1:cancel-capture" })).Return(nil).Once()
	env.OnActivity(wallet.ReleaseHold, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(store.FailPayment, mock.Anything, mock.Anything).Return(nil).Once()

	res := runCheckout(t, env, pointsCheckout())

	require.Equal(t, StatusFailed, res.Status)
	require.Zero(t, res.PointsEarned)
	env.AssertNotCalled(t, "EarnPoints", mock.Anything, mock.Anything)
}

// No rate, no points step: the command sequence of older checkouts is unchanged.
func TestCheckoutWithoutPointsRateEarnsNothing(t *testing.T) {
	env := newEnv(t)
	mockPaidCheckout(env)
	in := pointsCheckout()
	in.PointsRateBPS = 0

	require.Equal(t, StatusSucceeded, runCheckout(t, env, in).Status)
	env.AssertNotCalled(t, "EarnPoints", mock.Anything, mock.Anything)
}

// The daily run announces, then expires, in batches until none is full, all at
// the run's own time.
func TestPointsExpiryRunsInBatches(t *testing.T) {
	env := newEnv(t)
	start := time.Date(2031, 1, 1, 15, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	atStart := func(now time.Time) bool { return now.Equal(start) }
	env.OnActivity(points.NotifyExpiringPoints, mock.Anything, mock.MatchedBy(func(in activities.NotifyExpiringPointsInput) bool {
		return atStart(in.Now) && in.Within == 30*24*time.Hour && in.MaxRows == 2
	})).Return(activities.NotifyExpiringPointsResult{Notified: 2, More: true}, nil).Once()
	env.OnActivity(points.NotifyExpiringPoints, mock.Anything, mock.Anything).Return(activities.NotifyExpiringPointsResult{Notified: 1}, nil).Once()
	env.OnActivity(points.ExpirePoints, mock.Anything, mock.MatchedBy(func(in activities.ExpirePointsInput) bool { return atStart(in.Now) })).
		Return(activities.ExpirePointsResult{Buckets: 2, Points: 700, More: true}, nil).Once()
	env.OnActivity(points.ExpirePoints, mock.Anything, mock.Anything).Return(activities.ExpirePointsResult{Buckets: 1, Points: 50}, nil).Once()

	env.ExecuteWorkflow(PointsExpiry, PointsExpiryInput{Notice: 30 * 24 * time.Hour, MaxRows: 2})

	require.NoError(t, env.GetWorkflowError())
	var res PointsExpiryResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, PointsExpiryResult{Notified: 3, Expired: 3, ExpiredPoints: 750}, res)
}

// The daily safeguarding run reports once, keyed by its own workflow id, at its own time.
func TestSafeguardingCheckReportsOnce(t *testing.T) {
	env := newEnv(t)
	env.RegisterActivity(&activities.Safeguarding{})
	start := time.Date(2031, 1, 1, 15, 30, 0, 0, time.UTC)
	env.SetStartTime(start)
	env.OnActivity(safeguarding.ComputeSafeguarding, mock.Anything, mock.MatchedBy(func(in activities.SafeguardingInput) bool {
		return in.Currency == "KRW" && in.ReportKey != "" && in.At.Equal(start)
	})).Return(activities.SafeguardingResult{Liabilities: 10, Safeguarded: 9, CoverageBPS: 9_000}, nil).Once()

	env.ExecuteWorkflow(SafeguardingCheck, SafeguardingCheckInput{})

	require.NoError(t, env.GetWorkflowError())
	var res activities.SafeguardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.EqualValues(t, 9_000, res.CoverageBPS)
}
