package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// Payout pays one producer for one period: wait for finance's approval when the
// amount is above the threshold -> verify the account holder at the bank ->
// transfer under the key payout:{producer}:{period} -> book it and mark it paid.
// What cannot be paid ends held with a reason (approval timed out, holder
// mismatch, the bank refused or stayed down); nothing was booked for it, so the
// amount stays payable and the next period pays it.
func Payout(ctx workflow.Context, in PayoutInput) (PayoutResult, error) {
	p := &payout{in: in}
	if in.NeedsApproval {
		approved, err := p.awaitApproval(ctx)
		if err != nil {
			return p.result, err
		}
		if !approved {
			return p.end(ctx, activities.PayoutHeld, "approval_timeout")
		}
	}
	ref := activities.PayoutRef{PayoutID: in.PayoutID}
	if err := workflow.ExecuteLocalActivity(providerCtx(ctx), payouts.VerifyPayee, ref).Get(ctx, nil); err != nil {
		return p.end(ctx, activities.PayoutHeld, activities.FailureOf(err, "holder_check_failed").Code)
	}
	var txn activities.TransferResult
	if err := workflow.ExecuteLocalActivity(providerCtx(ctx), payouts.Transfer, ref).Get(ctx, &txn); err != nil {
		// Declined for good, or retries ran out: the bank's record under our key decides.
		if ferr := workflow.ExecuteLocalActivity(providerCtx(ctx), payouts.FindTransfer, ref).Get(ctx, &txn); ferr != nil || !txn.Found {
			return p.end(ctx, activities.PayoutHeld, activities.FailureOf(err, "bank_unavailable").Code)
		}
	}
	// The money has left: booking it must not be skipped, even on cancel.
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), payouts.PostPayout, activities.PostPayoutInput{
		PayoutID: in.PayoutID, TransactionID: txn.TransactionID,
	}).Get(ctx, nil)
	if err != nil {
		return p.end(ctx, activities.PayoutFailed, "ledger_error")
	}
	p.setStatus(ctx, activities.PayoutPaid)
	p.result = PayoutResult{PayoutID: in.PayoutID, Amount: in.Amount, Status: activities.PayoutPaid}
	return p.result, nil
}

type payout struct {
	in       PayoutInput
	result   PayoutResult
	awaiting bool
	approval *ApproveInput
}

// awaitApproval marks the payout awaiting approval, then waits for the approve
// update (validated: only while awaiting) or the timeout.
func (p *payout) awaitApproval(ctx workflow.Context) (bool, error) {
	err := workflow.SetUpdateHandlerWithOptions(ctx, ApproveUpdate,
		func(ctx workflow.Context, a ApproveInput) (string, error) {
			p.approval = &a
			return activities.PayoutPending, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a ApproveInput) error {
			if !p.awaiting || p.approval != nil {
				return errNotAwaiting
			}
			return nil
		}})
	if err != nil {
		return false, err
	}
	// Accept approvals from now on: one may arrive in the same task that records
	// the status finance reads before approving.
	p.awaiting = true
	err = workflow.ExecuteLocalActivity(dbCtx(ctx), payouts.SetPayoutStatus, activities.SetPayoutStatusInput{
		PayoutID: p.in.PayoutID, Status: activities.PayoutAwaitingApproval,
	}).Get(ctx, nil)
	if err != nil {
		return false, err
	}
	p.setStatus(ctx, activities.PayoutAwaitingApproval)
	ok, err := workflow.AwaitWithTimeout(ctx, p.in.ApprovalTimeout, func() bool { return p.approval != nil })
	p.awaiting = false
	if err != nil || !ok {
		return false, err
	}
	err = workflow.ExecuteLocalActivity(dbCtx(ctx), payouts.RecordApproval, activities.ApprovePayoutInput{
		PayoutID: p.in.PayoutID, ApprovedBy: p.approval.ApprovedBy,
	}).Get(ctx, nil)
	return err == nil, err
}

// end records a final status other than paid.
func (p *payout) end(ctx workflow.Context, status, reason string) (PayoutResult, error) {
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), payouts.SetPayoutStatus, activities.SetPayoutStatusInput{
		PayoutID: p.in.PayoutID, Status: status, Reason: reason,
	}).Get(ctx, nil)
	if err != nil {
		return p.result, err
	}
	p.setStatus(disconnected(ctx), status)
	p.result = PayoutResult{PayoutID: p.in.PayoutID, Amount: p.in.Amount, Status: status, Reason: reason}
	return p.result, nil
}

func (p *payout) setStatus(ctx workflow.Context, status string) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, PaymentStatusKey.ValueSet(status)); err != nil {
		workflow.GetLogger(ctx).Warn("status search attribute not set", "status", status, "error", err)
	}
}
