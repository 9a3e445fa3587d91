package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
)

func runRefund(t *testing.T, in RefundInput, setup func(env testEnv)) RefundResult {
	env := newEnv(t)
	setup(env)
	// A refund of a payment that earned no points takes none back.
	env.OnActivity(points.ReversePoints, mock.Anything, mock.Anything).Return(activities.ReversePointsResult{}, nil).Maybe()
	env.ExecuteWorkflow(Refund, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res RefundResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestRefundCancelsAtThePGThenBooks(t *testing.T) {
	var refunds *activities.Refunds
	res := runRefund(t, RefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 3_000, Kind: "partial"}, func(env testEnv) {
		env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).
			Return(activities.ReserveRefundResult{Amount: 3_000, PG: "beta", PaymentKey: "pk_1"}, nil).Once()
		env.OnActivity(payments.Cancel, mock.Anything, activities.CancelInput{Key: "refund:rf_1", PG: "beta", PaymentKey: "pk_1", Amount: 3_000}).Return(nil).Once()
		env.OnActivity(book.PostRefund, mock.Anything, activities.PostRefundInput{RefundID: "rf_1"}).Return(nil).Once()
	})
	require.Equal(t, RefundResult{RefundID: "rf_1", Status: StatusSucceeded, Amount: 3_000}, res)
}

func TestRefundRefusedByPGReleasesTheClaim(t *testing.T) {
	var refunds *activities.Refunds
	res := runRefund(t, RefundInput{RefundID: "rf_1", PaymentID: "pay_1", Kind: "cancel"}, func(env testEnv) {
		env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).
			Return(activities.ReserveRefundResult{Amount: 15_000, PG: "alpha", PaymentKey: "pk_1"}, nil)
		env.OnActivity(payments.Cancel, mock.Anything, mock.Anything).Return(declined("cancel_refused")).Once()
		env.OnActivity(refunds.ReleaseRefund, mock.Anything, activities.ReleaseRefundInput{RefundID: "rf_1", Code: "cancel_refused", Message: "cancel_refused"}).Return(nil).Once()
	})
	require.Equal(t, StatusFailed, res.Status)
	require.Equal(t, "cancel_refused", res.FailureCode)
}

func TestRefundOfUnrefundablePaymentTouchesNoPG(t *testing.T) {
	var refunds *activities.Refunds
	res := runRefund(t, RefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 99_000, Kind: "partial"}, func(env testEnv) {
		env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).Return(activities.ReserveRefundResult{},
			temporal.NewNonRetryableApplicationError("too much", activities.ErrNotRefundable, nil,
				activities.Failure{Code: "refund_exceeds_remaining", Message: "refundable amount is 15000"})).Once()
	})
	require.Equal(t, "refund_exceeds_remaining", res.FailureCode)
}
