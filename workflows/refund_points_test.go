package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
)

// The customer spent 200 of the 300 points the refunded part earned: the
// PG refunds 200 won less, and the shortfall is booked after the refund.
func TestRefundKeepsBackTheShortfallOfSpentPoints(t *testing.T) {
	var refunds *activities.Refunds
	res := runRefund(t, RefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 10_000, Kind: "partial"}, func(env testEnv) {
		env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).
			Return(activities.ReserveRefundResult{Amount: 10_000, PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
		env.OnActivity(points.ReversePoints, mock.Anything, activities.ReversePointsInput{RefundID: "rf_1", Cash: 10_000}).
			Return(activities.ReversePointsResult{Points: 300, Taken: 100, Shortfall: 200}, nil).Once()
		env.OnActivity(payments.Cancel, mock.Anything, activities.CancelInput{Key: "refund:rf_1", PG: "alpha", PaymentKey: "pk_1", Amount: 9_800}).Return(nil).Once()
		env.OnActivity(book.PostRefund, mock.Anything, activities.PostRefundInput{RefundID: "rf_1"}).Return(nil).Once()
		env.OnActivity(points.BookPointsShortfall, mock.Anything, activities.BookPointsShortfallInput{RefundID: "rf_1"}).Return(nil).Once()
	})
	require.Equal(t, RefundResult{RefundID: "rf_1", Status: StatusSucceeded, Amount: 10_000, PointsReversed: 300, PointsShortfall: 200}, res)
}

// The PG refuses the refund: the claim is released and the points taken
// back are given back; no shortfall is booked.
func TestRefundRefusedGivesThePointsBack(t *testing.T) {
	var refunds *activities.Refunds
	res := runRefund(t, RefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 10_000, Kind: "partial"}, func(env testEnv) {
		env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).
			Return(activities.ReserveRefundResult{Amount: 10_000, PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
		env.OnActivity(points.ReversePoints, mock.Anything, mock.Anything).
			Return(activities.ReversePointsResult{Points: 300, Taken: 300}, nil).Once()
		env.OnActivity(payments.Cancel, mock.Anything, mock.Anything).Return(declined("cancel_refused")).Once()
		env.OnActivity(refunds.ReleaseRefund, mock.Anything, mock.Anything).Return(nil).Once()
		env.OnActivity(points.RestorePoints, mock.Anything, mock.MatchedBy(func(in activities.RestorePointsInput) bool { return in.RefundID == "rf_1" })).Return(nil).Once()
	})
	require.Equal(t, StatusFailed, res.Status)
	require.Zero(t, res.PointsReversed)
}
