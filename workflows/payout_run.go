package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

var payouts *activities.Payouts

// scheduledStartKey is set by Temporal on runs a schedule starts: the nominal
// time, which a late (caught-up) run must still cut off at.
var scheduledStartKey = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// PayoutRun settles every producer for one period: fix the cut-off and period ->
// page through producers, claiming each one's payable at the cut-off -> pay the
// claims in PayoutBatch workflows of BatchSize, a bounded number at a time
// (i19-payout-batches; before it, one Payout workflow per claim) -> continue as
// new every few pages so the history stays small however many producers there
// are -> mark the run completed. Payouts waiting for approval get their own
// Payout workflow, started and left to wait: they hold no slot and never block
// the run.
func PayoutRun(ctx workflow.Context, in PayoutRunInput) (PayoutTotals, error) {
	batched := workflow.GetVersion(ctx, payoutBatchesChange, workflow.DefaultVersion, 1) == 1
	if batched {
		in = batchesDefaults(in)
	}
	in = withRunDefaults(in)
	runID := workflow.GetInfo(ctx).WorkflowExecution.ID
	if in.Period == "" {
		if err := fixPeriod(ctx, &in); err != nil {
			return in.Totals, err
		}
		err := workflow.ExecuteLocalActivity(dbCtx(ctx), payouts.StartRun, activities.StartRunInput{
			RunID: runID, ScheduleID: in.ScheduleID, Period: in.Period, Cutoff: in.Cutoff, Currency: in.Currency,
		}).Get(ctx, nil)
		if err != nil {
			return in.Totals, err
		}
	}
	pay := payEachInItsWorkflow
	if batched {
		pay = payInBatches
	}
	done, err := pay(ctx, &in, runID)
	if err != nil {
		return in.Totals, err
	}
	if !done {
		return in.Totals, workflow.NewContinueAsNewError(ctx, PayoutRunName, in)
	}
	err = workflow.ExecuteLocalActivity(dbCtx(ctx), payouts.CompleteRun, activities.CompleteRunInput{RunID: runID}).Get(ctx, nil)
	return in.Totals, err
}

// payEachInItsWorkflow is the shape before i19-payout-batches: claim a page,
// start one Payout workflow per claim, then the next page, up to PagesPerRun
// pages. done: no producer is left.
func payEachInItsWorkflow(ctx workflow.Context, in *PayoutRunInput, runID string) (bool, error) {
	for page := 1; ; page++ {
		var claim activities.ClaimPageResult
		if err := claimPage(ctx, *in, runID).Get(ctx, &claim); err != nil {
			return false, err
		}
		in.Totals.Producers += claim.Producers
		settlePage(ctx, *in, claim.Payouts, &in.Totals)
		in.AfterID = claim.LastID
		if claim.Done {
			return true, nil
		}
		if page >= in.PagesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return false, nil
		}
	}
}

func claimPage(ctx workflow.Context, in PayoutRunInput, runID string) workflow.Future {
	return workflow.ExecuteLocalActivity(dbCtx(ctx), payouts.ClaimPage, activities.ClaimPageInput{
		RunID: runID, Period: in.Period, Cutoff: in.Cutoff, Currency: in.Currency,
		AfterID: in.AfterID, PageSize: in.PageSize, Threshold: in.Threshold,
	})
}

func withRunDefaults(in PayoutRunInput) PayoutRunInput {
	if in.Cycle == "" {
		in.Cycle = CycleDaily
	}
	if in.TimeZone == "" {
		in.TimeZone = "Asia/Seoul"
	}
	if in.Currency == "" {
		in.Currency = "KRW"
	}
	if in.ApprovalTimeout <= 0 {
		in.ApprovalTimeout = 7 * 24 * time.Hour
	}
	if in.PageSize <= 0 {
		in.PageSize = 500
	}
	if in.Concurrency <= 0 {
		in.Concurrency = 50
	}
	if in.PagesPerRun <= 0 {
		in.PagesPerRun = 1
	}
	return in
}

// fixPeriod sets the cut-off (the schedule's nominal time, else the start) and
// the period it falls in. Recorded once as a side effect: replays and continued
// runs keep the same values.
func fixPeriod(ctx workflow.Context, in *PayoutRunInput) error {
	cutoff := workflow.GetInfo(ctx).WorkflowStartTime
	if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartKey); ok && !t.IsZero() {
		cutoff = t
	}
	type fixed struct {
		Period string
		Err    string
	}
	var f fixed
	err := workflow.SideEffect(ctx, func(workflow.Context) any {
		p, err := PayoutPeriod(cutoff, in.TimeZone, in.Cycle)
		if err != nil {
			return fixed{Err: err.Error()}
		}
		return fixed{Period: p}
	}).Get(&f)
	if err != nil {
		return err
	}
	if f.Err != "" {
		return temporal.NewNonRetryableApplicationError(f.Err, activities.ErrInvalidRequest, nil)
	}
	in.Cutoff, in.Period = cutoff.UTC(), f.Period
	return nil
}

// settlePage starts the page's payouts with at most in.Concurrency in flight and
// waits for those that do not need approval; those that do are only confirmed
// started. Starts are not awaited one by one: a window of children starts in
// one workflow task.
func settlePage(ctx workflow.Context, in PayoutRunInput, claimed []activities.ClaimedPayout, totals *PayoutTotals) {
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	var waiting []workflow.ChildWorkflowFuture
	for _, c := range claimed {
		if inFlight >= in.Concurrency {
			sel.Select(ctx)
			inFlight--
		}
		f := startPayout(ctx, in, c)
		if c.NeedsApproval {
			waiting = append(waiting, f)
			continue
		}
		inFlight++
		sel.AddFuture(f, func(f workflow.Future) { tally(ctx, f, totals) })
	}
	for ; inFlight > 0; inFlight-- {
		sel.Select(ctx)
	}
	confirmAwaiting(ctx, waiting, totals)
}

// confirmAwaiting waits until each payout that waits for approval has
// started; the run does not wait for the approval itself.
func confirmAwaiting(ctx workflow.Context, waiting []workflow.ChildWorkflowFuture, totals *PayoutTotals) {
	for _, f := range waiting {
		if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			tallyStartError(ctx, err, totals)
			continue
		}
		totals.Started++
		totals.AwaitingApproval++
	}
}

func startPayout(ctx workflow.Context, in PayoutRunInput, c activities.ClaimedPayout) workflow.ChildWorkflowFuture {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: c.PayoutID,
		// The id is the business key: a payout for the producer and period never runs twice.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// A payout waiting for approval outlives the run that started it.
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			ProducerIDKey.ValueSet(c.ProducerID), PaymentStatusKey.ValueSet(activities.PayoutPending), AmountKRWKey.ValueSet(c.Amount)),
	})
	return workflow.ExecuteChildWorkflow(cctx, PayoutName, PayoutInput{
		PayoutID: c.PayoutID, ProducerID: c.ProducerID, Period: in.Period, Amount: c.Amount,
		NeedsApproval: c.NeedsApproval, ApprovalTimeout: in.ApprovalTimeout,
	})
}

func tally(ctx workflow.Context, f workflow.Future, totals *PayoutTotals) {
	var r PayoutResult
	if err := f.Get(ctx, &r); err != nil {
		tallyStartError(ctx, err, totals)
		return
	}
	totals.Started++
	switch r.Status {
	case activities.PayoutPaid:
		totals.Paid++
		totals.PaidAmount += r.Amount
	case activities.PayoutHeld:
		totals.Held++
	default:
		totals.Failed++
	}
}

// tallyStartError counts a payout that did not run here: already started by an
// earlier attempt of this run (it goes on by itself), or a workflow failure.
func tallyStartError(ctx workflow.Context, err error, totals *PayoutTotals) {
	var already *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &already) {
		totals.AlreadyStarted++
		return
	}
	totals.Failed++
	workflow.GetLogger(ctx).Error("payout workflow failed", "error", err)
}

var errNotAwaiting = errors.New("the payout is not awaiting approval")
