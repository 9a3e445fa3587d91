package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// PIIResealName is the re-sealing workflow's registered name.
const PIIResealName = "PIIReseal"

var reseal *activities.Reseal

// PIIResealID is the workflow id of the run moving rows to keyID: one run per
// key, so starting it twice attaches to the same run.
func PIIResealID(keyID string) string { return "pii-reseal-" + keyID }

// PIIResealInput is the run's durable cursor: which table, the key of the last
// row done, and the totals so far. Continue-as-new carries it to the next run.
type PIIResealInput struct {
	KeyID         string // the active sealing key every row moves to
	Table         int    // index into activities.SealedTables
	After         []string
	BatchSize     int // rows per activity (one transaction); default 200
	BatchesPerRun int // batches before continue-as-new; default 50
	Totals        PIIResealTotals
}

// PIIResealTotals is what the whole re-sealing did.
type PIIResealTotals struct {
	Scanned  int
	Resealed int
	Stale    map[string]int // values still not under KeyID at the end, per table (none: the old keys can go)
}

// PIIReseal walks every table with sealed PII in key order, one batch per
// activity; each batch re-seals its rows' values under KeyID in one
// transaction. The cursor lives in the workflow (its history, then its
// continue-as-new input), so a worker killed mid-run resumes after the last
// committed batch; a batch cut short is rolled back and redone, skipping what
// is already current. At the end it counts what is still stale.
func PIIReseal(ctx workflow.Context, in PIIResealInput) (PIIResealTotals, error) {
	if in.BatchSize <= 0 {
		in.BatchSize = 200
	}
	if in.BatchesPerRun <= 0 {
		in.BatchesPerRun = 50
	}
	actx := resealCtx(ctx)
	for batch := 1; in.Table < len(activities.SealedTables); batch++ {
		if batch > in.BatchesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return in.Totals, workflow.NewContinueAsNewError(ctx, PIIResealName, in)
		}
		var res activities.ResealBatchResult
		err := workflow.ExecuteActivity(actx, reseal.ResealBatch, activities.ResealBatchInput{
			KeyID: in.KeyID, Table: activities.SealedTables[in.Table].Name, After: in.After, Limit: in.BatchSize,
		}).Get(ctx, &res)
		if err != nil {
			return in.Totals, err
		}
		in.Totals.Scanned += res.Scanned
		in.Totals.Resealed += res.Resealed
		in.After = res.Next
		if res.Done {
			in.Table, in.After = in.Table+1, nil
		}
	}
	err := workflow.ExecuteActivity(actx, reseal.StaleSealedValues).Get(ctx, &in.Totals.Stale)
	return in.Totals, err
}

// resealCtx: each batch is a short transaction; a worker still on the old
// keyring refuses it (retried, for a worker with the new one), bounded.
func resealCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        60,
			NonRetryableErrorTypes: []string{activities.ErrInvalidRequest},
		},
	})
}
