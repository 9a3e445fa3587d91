package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// Refund gives back part (Kind "partial") or the rest (Kind "cancel") of a
// captured payment: claim the amount -> cancel it at the PG that served the
// payment -> book the reversal, from the items it names or in proportion to
// each producer's share.
// If the PG refuses for good, the claim is released; if its answer stays
// unknown, the claim is kept and the workflow fails.
func Refund(ctx workflow.Context, in RefundInput) (RefundResult, error) {
	var refunds *activities.Refunds
	result := RefundResult{RefundID: in.RefundID}

	var claim activities.ReserveRefundResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), refunds.ReserveRefund, activities.ReserveRefundInput{
		RefundID: in.RefundID, PaymentID: in.PaymentID, Amount: in.Amount, Kind: in.Kind, Reason: in.Reason,
		Items: in.Items,
	}).Get(ctx, &claim)
	if err != nil {
		if activities.IsType(err, activities.ErrNotRefundable) {
			f := activities.FailureOf(err, "payment_not_refundable")
			result.Status, result.FailureCode, result.FailureMessage = StatusFailed, f.Code, f.Message
			return result, nil // nothing was claimed, nothing to undo
		}
		return result, fmt.Errorf("claim refund %s: %w", in.RefundID, err)
	}
	result.Amount = claim.Amount

	// The wallet and points parts of a split payment are given back by the ledger posting alone.
	cancel := activities.CancelInput{
		Key: "refund:" + in.RefundID, PG: claim.PG, PaymentKey: claim.PaymentKey, Amount: pgRefundAmount(ctx, claim),
		Reason: in.Reason, TaxFreeAmount: claim.PGTaxFreeAmount,
	}
	var rev activities.ReversePointsResult
	reversing := workflow.GetVersion(ctx, pointsReverseChangeID, workflow.DefaultVersion, 1) == 1
	if reversing {
		if rev, err = reverseEarnedPoints(ctx, in, &cancel); err != nil {
			return releaseRefund(ctx, in, result, err)
		}
		result.PointsReversed, result.PointsShortfall = rev.Points, rev.Shortfall
	}
	if cancel.Amount > 0 {
		err = workflow.ExecuteLocalActivity(providerCtx(ctx), payments.Cancel, cancel).Get(ctx, nil)
	}
	if err != nil && !refusedForGood(err) &&
		workflow.GetVersion(ctx, refundUnknownOutcome, workflow.DefaultVersion, 1) >= 1 {
		if err = settleCancel(ctx, cancel); err != nil && !refusedForGood(err) {
			// Still no definitive answer: the PG may have given the money back.
			// The claim stays held and the workflow fails, for ops to settle from
			// the PG's records; releasing it could lose the money.
			return result, fmt.Errorf("refund %s: outcome at %s unknown, claim kept: %w", in.RefundID, claim.PG, err)
		}
	}
	if err != nil {
		f := activities.FailureOf(err, "provider_error")
		rerr := workflow.ExecuteLocalActivity(finalCtx(ctx), refunds.ReleaseRefund, activities.ReleaseRefundInput{
			RefundID: in.RefundID, Code: f.Code, Message: f.Message,
		}).Get(ctx, nil)
		if rerr != nil {
			return result, fmt.Errorf("release refund %s: %w", in.RefundID, rerr)
		}
		if reversing && rev.Points > 0 {
			if err := restoreEarnedPoints(ctx, in); err != nil {
				return result, err
			}
			result.PointsReversed, result.PointsShortfall = 0, 0
		}
		result.Status, result.FailureCode, result.FailureMessage = StatusFailed, f.Code, f.Message
		return result, nil
	}

	// The PG has given the money back: booking it must not be skipped, even on cancel.
	err = workflow.ExecuteLocalActivity(finalCtx(ctx), book.PostRefund, activities.PostRefundInput{RefundID: in.RefundID}).Get(ctx, nil)
	if err != nil {
		return result, fmt.Errorf("book refund %s: %w", in.RefundID, err)
	}
	if reversing && rev.Shortfall > 0 {
		if err := bookPointsShortfall(ctx, in); err != nil {
			return result, err
		}
	}
	if workflow.GetVersion(ctx, cashReceiptChangeID, workflow.DefaultVersion, 1) == 1 {
		cancelCashReceipt(ctx, in)
	}
	result.Status = StatusSucceeded
	return result, nil
}

// discountRefundChangeID versions the refund of a payment an instant
// discount paid part of (issue 15): the discount's share is reversed on the
// platform's account by the posting, not given back through the PG.
const discountRefundChangeID = "i15-discount-refund"

// pgRefundAmount is what the PG gives back of the claim: its card part (not
// the wallet part, nor the points part PostRefund returns to the buckets),
// less the discount's share when there is one.
func pgRefundAmount(ctx workflow.Context, claim activities.ReserveRefundResult) int64 {
	amount := claim.Amount - claim.WalletAmount
	if claim.PointsAmount > 0 && workflow.GetVersion(ctx, pointsRefundChangeID, workflow.DefaultVersion, 1) == 1 {
		amount -= claim.PointsAmount
	}
	if claim.DiscountAmount > 0 && workflow.GetVersion(ctx, discountRefundChangeID, workflow.DefaultVersion, 1) == 1 {
		amount -= claim.DiscountAmount
	}
	return amount
}

// refundUnknownOutcome versions the settling of a cancel whose outcome the
// forward retries left unknown (before it, such a refund was released).
const refundUnknownOutcome = "refund-unknown-outcome"

// settleCancel re-sends the same cancel (same key: the PG answers a committed
// one with its original result) with the longer, still bounded, patience of a
// compensation, until the PG answers definitively.
func settleCancel(ctx workflow.Context, cancel activities.CancelInput) error {
	cancel.MayHaveCommitted = true
	return workflow.ExecuteLocalActivity(compensationCtx(ctx), payments.Cancel, cancel).Get(ctx, nil)
}

// refusedForGood: the cancel failed with a typed, non-retryable refusal of this
// cancel (a decline, a bad request, no such PG). Anything else (retries
// exhausted, a timeout) leaves its outcome unknown.
func refusedForGood(err error) bool {
	for _, typ := range []string{activities.ErrDeclined, activities.ErrInvalidRequest,
		activities.ErrNotRefundable, activities.ErrProviderUnavailable} {
		if activities.IsType(err, typ) {
			return true
		}
	}
	return false
}
