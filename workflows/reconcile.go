package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// ReconcileName is the registered name of Reconcile.
const ReconcileName = "Reconcile"

// ReconScheduleID is the daily reconciliation's Temporal Schedule on a task queue.
func ReconScheduleID(taskQueue string) string { return "recon-daily-" + taskQueue }

// ReconcileID names a run started on demand: recon-{date}-{suffix}.
func ReconcileID(date, suffix string) string { return "recon-" + date + "-" + suffix }

type ReconcileInput struct {
	Date   string // YYYY-MM-DD (Korea time); empty: the day before the run starts (scheduled runs)
	PGs    []string
	FeeBPS int64 // the PGs' contracted fee on captures
}

type ReconcileResult struct {
	RunID      string
	Date       string
	Mismatches int
}

// Reconcile compares one day's PG settlement reports with the ledger, stores
// the findings (recon_runs, recon_findings) and sets the ReconMismatches search
// attribute, so ops find runs with mismatches in the Temporal UI
// (ReconMismatches > 0).
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileResult, error) {
	date := in.Date
	if date == "" {
		date = workflow.Now(ctx).In(activities.KST).AddDate(0, 0, -1).Format("2006-01-02")
	}
	runID := workflow.GetInfo(ctx).WorkflowExecution.ID
	var r activities.ReconcileResult
	err := workflow.ExecuteActivity(reconCtx(ctx), recon.Reconcile, activities.ReconcileInput{
		RunID: runID, Date: date, PGs: in.PGs, FeeBPS: in.FeeBPS,
	}).Get(ctx, &r)
	if err != nil {
		return ReconcileResult{RunID: runID, Date: date}, err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, ReconMismatchesKey.ValueSet(int64(r.Mismatches))); err != nil {
		workflow.GetLogger(ctx).Warn("ReconMismatches not set", "error", err)
	}
	return ReconcileResult{RunID: runID, Date: date, Mismatches: r.Mismatches}, nil
}

var recon *activities.Recon

// reconCtx: reports can be large and PGs slow; retried for a while, not forever.
func reconCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			MaximumAttempts:        10,
			NonRetryableErrorTypes: []string{activities.ErrInvalidRequest},
		},
	})
}
