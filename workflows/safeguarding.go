package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// SafeguardingCheckName is the daily safeguarding report (issue 15): prepaid
// liabilities (wallets and points) against the recorded safeguard balance.
const SafeguardingCheckName = "SafeguardingCheck"

// SafeguardingScheduleID is its Temporal Schedule on a task queue.
func SafeguardingScheduleID(taskQueue string) string { return "safeguarding-" + taskQueue }

type SafeguardingCheckInput struct {
	Currency string // "" means KRW
}

var safeguarding *activities.Safeguarding

// SafeguardingCheck stores one report per run (keyed by its workflow id) and
// raises safeguarding.shortfall below 100% coverage.
func SafeguardingCheck(ctx workflow.Context, in SafeguardingCheckInput) (activities.SafeguardingResult, error) {
	if in.Currency == "" {
		in.Currency = "KRW"
	}
	var r activities.SafeguardingResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), safeguarding.ComputeSafeguarding, activities.SafeguardingInput{
		ReportKey: workflow.GetInfo(ctx).WorkflowExecution.ID, Currency: in.Currency, At: workflow.Now(ctx),
	}).Get(ctx, &r)
	return r, err
}
