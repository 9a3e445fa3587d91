package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// pointsReverseChangeID versions the Refund workflow's taking back of the
// points earned on the refunded part (issue 15, ADR 0023): a step after the
// claim (before the PG is asked), its undo when the PG refuses, and the
// booking of the shortfall after the refund is booked.
const pointsReverseChangeID = "i15-points-reverse"

// reverseEarnedPoints takes back the refunded part's points before the PG
// is asked for the money: what the customer has spent of them is kept back
// from the PG's refund (cancel.Amount shrinks by the shortfall, and its
// tax-free part with it when it would exceed what is left).
func reverseEarnedPoints(ctx workflow.Context, in RefundInput, cancel *activities.CancelInput) (activities.ReversePointsResult, error) {
	var rev activities.ReversePointsResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), points.ReversePoints, activities.ReversePointsInput{
		RefundID: in.RefundID, Cash: cancel.Amount,
	}).Get(ctx, &rev)
	if err != nil {
		return rev, fmt.Errorf("reverse points of refund %s: %w", in.RefundID, err)
	}
	if rev.Shortfall > 0 {
		cancel.Amount -= rev.Shortfall
		cancel.TaxFreeAmount = min(cancel.TaxFreeAmount, cancel.Amount)
	}
	return rev, nil
}

// releaseRefund gives the claim back when the points could not be taken
// back (the database stayed down past the retries): nothing has moved yet.
func releaseRefund(ctx workflow.Context, in RefundInput, result RefundResult, cause error) (RefundResult, error) {
	f := activities.FailureOf(cause, "points_reversal_failed")
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), (*activities.Refunds)(nil).ReleaseRefund, activities.ReleaseRefundInput{
		RefundID: in.RefundID, Code: f.Code, Message: f.Message,
	}).Get(ctx, nil)
	if err != nil {
		return result, fmt.Errorf("release refund %s: %w", in.RefundID, err)
	}
	result.Status, result.FailureCode, result.FailureMessage = StatusFailed, f.Code, f.Message
	return result, nil
}

// restoreEarnedPoints gives the taken points back when the PG refused the refund.
func restoreEarnedPoints(ctx workflow.Context, in RefundInput) error {
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), points.RestorePoints, activities.RestorePointsInput{
		RefundID: in.RefundID, At: workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("restore points of refund %s: %w", in.RefundID, err)
	}
	return nil
}

// bookPointsShortfall books the won the PG did not refund for spent points.
func bookPointsShortfall(ctx workflow.Context, in RefundInput) error {
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), points.BookPointsShortfall, activities.BookPointsShortfallInput{
		RefundID: in.RefundID,
	}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("book points shortfall of refund %s: %w", in.RefundID, err)
	}
	return nil
}
