package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
)

// tenderInput is 50,000 paid 3,000 points + 10,000 wallet + 37,000 card.
func tenderInput() CheckoutInput {
	in := checkoutInput()
	in.Amount, in.WalletAmount, in.PointsAmount = 50_000, 10_000, 3_000
	in.Items = []CheckoutItem{{ProducerID: "A", Amount: 30_000}, {ProducerID: "B", Amount: 20_000}}
	return in
}

var pointsHold = activities.HoldPointsInput{PaymentID: "pay_1", CustomerID: "cus_1", Currency: "KRW", Amount: 3_000}

func TestCheckoutPointsWalletAndCardInOneSaga(t *testing.T) {
	env := newEnv(t)
	var order []string
	env.OnActivity(store.CreatePayment, mock.Anything, mock.MatchedBy(func(in activities.CreatePaymentInput) bool {
		return in.WalletAmount == 10_000 && in.PointsAmount == 3_000
	})).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once().Run(func(mock.Arguments) { order = append(order, "wallet") })
	env.OnActivity(points.HoldPoints, mock.Anything, pointsHold).Return(nil).Once().Run(func(mock.Arguments) { order = append(order, "points") })
	env.OnActivity(payments.Authorize, mock.Anything, mock.MatchedBy(func(in activities.AuthorizeInput) bool { return in.Amount == 37_000 })).
		Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil).Once().Run(func(mock.Arguments) { order = append(order, "card") })
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, activities.CaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1", Amount: 37_000}).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1"}).Return(nil).Once()

	res := runCheckout(t, env, tenderInput())

	require.Equal(t, StatusSucceeded, res.Status)
	require.Equal(t, []string{"wallet", "points", "card"}, order)
	env.AssertNotCalled(t, "ReleasePointsHold", mock.Anything, mock.Anything)
}

// A decline at the card releases the points hold and the wallet hold, in reverse.
func TestCheckoutPointsCardDeclineReleasesBothHolds(t *testing.T) {
	env := newEnv(t)
	var undone []string
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(points.HoldPoints, mock.Anything, pointsHold).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{}, declined("card_declined")).Once()
	env.OnActivity(points.ReleasePointsHold, mock.Anything, holdRef).Return(nil).Once().Run(func(mock.Arguments) { undone = append(undone, "points") })
	env.OnActivity(wallet.ReleaseHold, mock.Anything, holdRef).Return(nil).Once().Run(func(mock.Arguments) { undone = append(undone, "wallet") })
	onFail(env, "card_declined").Return(nil).Once()

	res := runCheckout(t, env, tenderInput())

	require.Equal(t, "card_declined", res.FailureCode)
	require.Equal(t, []string{"points", "wallet"}, undone)
	env.AssertNotCalled(t, "PostCapture", mock.Anything, mock.Anything)
}

// A posting that fails (the points expired meanwhile) cancels the capture and releases both holds.
func TestCheckoutPointsPostingFailureCancelsCaptureAndReleases(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(points.HoldPoints, mock.Anything, pointsHold).Return(nil).Once()
	onAuthorize(env, "alpha").Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Capture, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(declined("insufficient_points")).Once()
	onCancel(env, "payment:pay_1:cancel-capture").Return(nil).Once()
	env.OnActivity(points.ReleasePointsHold, mock.Anything, holdRef).Return(nil).Once()
	env.OnActivity(wallet.ReleaseHold, mock.Anything, holdRef).Return(nil).Once()
	onFail(env, "insufficient_points").Return(nil).Once()

	res := runCheckout(t, env, tenderInput())

	require.Equal(t, StatusFailed, res.Status)
}

// Short points fail the checkout before the card; only the wallet hold is given back.
func TestCheckoutPointsShortFailsWithoutCharging(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(points.HoldPoints, mock.Anything, pointsHold).Return(declined("insufficient_points")).Once()
	env.OnActivity(wallet.ReleaseHold, mock.Anything, holdRef).Return(nil).Once()
	onFail(env, "insufficient_points").Return(nil).Once()

	res := runCheckout(t, env, tenderInput())

	require.Equal(t, "insufficient_points", res.FailureCode)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "ReleasePointsHold", mock.Anything, mock.Anything)
}

// Points and wallet paying it all never call the PG; with the newest
// versions a points checkout still opens step by step.
func TestCheckoutPointsAndWalletOnlyNeverCallThePG(t *testing.T) {
	env := newOpenEnv(t)
	in := tenderInput()
	in.WalletAmount, in.MethodID = 47_000, ""
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(points.HoldPoints, mock.Anything, pointsHold).Return(nil).Once()
	env.OnActivity(riskActs.EvaluateRisk, mock.Anything, mock.Anything).Return(activities.RiskDecision{Decision: "allow"}, nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, activities.PostCaptureInput{PaymentID: "pay_1"}).Return(nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	env.AssertNotCalled(t, "Authorize", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "OpenCardPayment", mock.Anything, mock.Anything)
}

func TestCheckoutPointsOutOfRangeIsInvalid(t *testing.T) {
	for _, p := range []int64{-1, 40_001} {
		env := newEnv(t)
		in := tenderInput()
		in.PointsAmount = p
		res := runCheckout(t, env, in)
		require.Equal(t, "invalid_request", res.FailureCode, "points %d", p)
	}
}

// A refund's points part is given back by the posting, not by the PG.
func TestRefundSendsThePGOnlyTheCardPart(t *testing.T) {
	env := newEnv(t)
	env.OnActivity((*activities.Refunds)(nil).ReserveRefund, mock.Anything, mock.Anything).
		Return(activities.ReserveRefundResult{Amount: 20_000, PG: "alpha", PaymentKey: "pk_1", WalletAmount: 4_000, PointsAmount: 1_200}, nil).Once()
	env.OnActivity(payments.Cancel, mock.Anything, mock.MatchedBy(func(in activities.CancelInput) bool { return in.Amount == 14_800 })).Return(nil).Once()
	env.OnActivity(book.PostRefund, mock.Anything, activities.PostRefundInput{RefundID: "rf_1"}).Return(nil).Once()
	// The payment earned no points: the refund takes none back.
	env.OnActivity(points.ReversePoints, mock.Anything, mock.Anything).Return(activities.ReversePointsResult{}, nil).Maybe()

	env.ExecuteWorkflow(Refund, RefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 20_000, Kind: "partial"})

	require.NoError(t, env.GetWorkflowError())
	var res RefundResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, StatusSucceeded, res.Status)
}
