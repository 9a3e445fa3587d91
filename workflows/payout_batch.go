package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// payoutBatchesChange versions PayoutRun's shape (issue 19, ADR 0025): claimed
// payouts are paid in PayoutBatch workflows of BatchSize instead of one Payout
// workflow each; payouts that wait for approval keep their own.
const payoutBatchesChange = "i19-payout-batches"

// PayoutBatch pays a batch of a run's claimed payouts: one activity, PayBatch,
// that takes each payout to paid or held with a bounded pool of transfers and
// heartbeats while it works. The activity is retried whole (bounded) when the
// worker dies or the database fails; each payout's steps are keyed by its
// business key, so a retry pays nobody twice. Its own execution in the
// Temporal UI: the period and its first producer name it, the result lists the
// payouts not paid with their reasons, and PaymentStatus ends paid, held (some
// held) or failed.
func PayoutBatch(ctx workflow.Context, in PayoutBatchInput) (activities.PayBatchResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A sick bank costs each payout its bounded retries; the heartbeat,
		// not this, is what notices a dead worker.
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
			MaximumAttempts:    10,
		},
	})
	var res activities.PayBatchResult
	err := workflow.ExecuteActivity(actx, payouts.PayBatch, activities.PayBatchInput{
		PayoutIDs: in.PayoutIDs, Workers: in.Workers,
	}).Get(ctx, &res)
	status := activities.PayoutPaid
	switch {
	case err != nil || res.Failed > 0:
		status = activities.PayoutFailed
	case res.Held > 0:
		status = activities.PayoutHeld
	}
	if serr := workflow.UpsertTypedSearchAttributes(ctx, PaymentStatusKey.ValueSet(status)); serr != nil {
		workflow.GetLogger(ctx).Warn("batch status search attribute not set", "error", serr)
	}
	return res, err
}

// batchesDefaults sizes the batches: 100 payouts each, 10 transfers in flight
// in each, so the run's Concurrency (50) is 5 batches at once; a page costs
// the run ~40 history events, so it continues as new every 10 pages, not
// every page.
func batchesDefaults(in PayoutRunInput) PayoutRunInput {
	if in.BatchSize <= 0 {
		in.BatchSize = 100
	}
	if in.BatchWorkers <= 0 {
		in.BatchWorkers = 10
	}
	if in.PagesPerRun <= 0 {
		in.PagesPerRun = 10
	}
	return in
}

// payInBatches pages through the producers, claiming the next page while the
// current one is being paid (a claim is one transaction over the ledger, ~1 s
// of a ~6 s page of 500 here), and stops after PagesPerRun pages. done: no
// producer is left.
func payInBatches(ctx workflow.Context, in *PayoutRunInput, runID string) (bool, error) {
	next := claimPage(ctx, *in, runID)
	for page := 1; ; page++ {
		var claim activities.ClaimPageResult
		if err := next.Get(ctx, &claim); err != nil {
			return false, err
		}
		in.Totals.Producers += claim.Producers
		in.AfterID = claim.LastID
		last := claim.Done || page >= in.PagesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		if !last {
			next = claimPage(ctx, *in, runID)
		}
		settlePageInBatches(ctx, *in, claim.Payouts, &in.Totals)
		if last {
			return claim.Done, nil
		}
	}
}

// settlePageInBatches pays the page's claims in batches, at most
// Concurrency/BatchWorkers batches at once, and waits for them; claims that
// need approval get their own Payout workflow, confirmed started and left to
// wait for finance as before.
func settlePageInBatches(ctx workflow.Context, in PayoutRunInput, claimed []activities.ClaimedPayout, totals *PayoutTotals) {
	var waiting []workflow.ChildWorkflowFuture
	var batchable []activities.ClaimedPayout
	for _, c := range claimed {
		if c.NeedsApproval {
			waiting = append(waiting, startPayout(ctx, in, c))
			continue
		}
		batchable = append(batchable, c)
	}
	limit := max(1, in.Concurrency/in.BatchWorkers)
	// A short page (a small run, the last page) is cut into at least `limit`
	// batches, so it still has Concurrency transfers in flight.
	size := min(in.BatchSize, (len(batchable)+limit-1)/limit)
	var batches [][]activities.ClaimedPayout
	for len(batchable) > 0 {
		n := min(size, len(batchable))
		batches, batchable = append(batches, batchable[:n]), batchable[n:]
	}
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	for _, b := range batches {
		if inFlight >= limit {
			sel.Select(ctx)
			inFlight--
		}
		n := len(b)
		inFlight++
		sel.AddFuture(startBatch(ctx, in, b), func(f workflow.Future) { tallyBatch(ctx, f, n, totals) })
	}
	for ; inFlight > 0; inFlight-- {
		sel.Select(ctx)
	}
	confirmAwaiting(ctx, waiting, totals)
}

func startBatch(ctx workflow.Context, in PayoutRunInput, b []activities.ClaimedPayout) workflow.ChildWorkflowFuture {
	runID := workflow.GetInfo(ctx).WorkflowExecution.ID
	bi := PayoutBatchInput{RunID: runID, Period: in.Period, Workers: in.BatchWorkers}
	for _, c := range b {
		bi.PayoutIDs = append(bi.PayoutIDs, c.PayoutID)
		bi.Amount += c.Amount
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: PayoutBatchID(in.Period, b[0].ProducerID),
		// A batch is only a carrier: each payout's business key guards it, so a
		// batch id may run again (a reset run) and finish what is left.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// Money may be moving: the batch finishes even if the run is terminated.
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			PaymentStatusKey.ValueSet(activities.PayoutPending), AmountKRWKey.ValueSet(bi.Amount)),
	})
	return workflow.ExecuteChildWorkflow(cctx, PayoutBatchName, bi)
}

// tallyBatch counts a batch's n payouts. A batch that failed for good (its
// activity's retries ran out) counts all n as failed: their rows stay pending
// for ops (paysaga verify lists them), and their keys make a later run safe.
func tallyBatch(ctx workflow.Context, f workflow.Future, n int, totals *PayoutTotals) {
	var r activities.PayBatchResult
	err := f.Get(ctx, &r)
	var already *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &already) {
		totals.AlreadyStarted += n // an earlier attempt's batch goes on by itself
		return
	}
	totals.Batches++
	totals.Started += n
	if err != nil {
		totals.Failed += n
		workflow.GetLogger(ctx).Error("payout batch failed", "payouts", n, "error", err)
		return
	}
	totals.Paid += r.Paid
	totals.Held += r.Held
	totals.Failed += r.Failed
	totals.PaidAmount += r.PaidAmount
}
