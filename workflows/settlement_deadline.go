package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// SettlementDeadlineCheckName is the daily check that confirmed sales are paid
// within the statutory window (PAYSAGA_SETTLEMENT_DEADLINE_DAYS).
const SettlementDeadlineCheckName = "SettlementDeadlineCheck"

// DeadlineScheduleID is the check's Temporal Schedule on a task queue.
func DeadlineScheduleID(taskQueue string) string { return "settlement-deadline-" + taskQueue }

type DeadlineCheckInput struct{}

type DeadlineCheckResult struct {
	AtRisk, Overdue int64
	OverdueAmount   int64
}

// SettlementDeadlineCheck counts the confirmed sales at risk (due within two
// days and in no run) and overdue (due and unpaid), records them (the
// paysaga_settlement_deadline metric), raises the settlement.deadline_at_risk
// ops event when any are found, and sets SettlementDeadline (ok, at_risk,
// overdue) on itself so ops find such days in the Temporal UI.
func SettlementDeadlineCheck(ctx workflow.Context, _ DeadlineCheckInput) (DeadlineCheckResult, error) {
	var r activities.DeadlineReport
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), settlement.CheckDeadlines, activities.CheckDeadlinesInput{
		CheckID: workflow.GetInfo(ctx).WorkflowExecution.ID, Now: workflow.Now(ctx),
	}).Get(ctx, &r)
	if err != nil {
		return DeadlineCheckResult{}, err
	}
	err = workflow.UpsertTypedSearchAttributes(ctx, SettlementDeadlineKey.ValueSet(DeadlineStatus(r)))
	if err != nil {
		workflow.GetLogger(ctx).Warn("settlement deadline search attributes not set", "error", err)
	}
	return DeadlineCheckResult{AtRisk: r.AtRisk, Overdue: r.Overdue, OverdueAmount: r.OverdueAmount}, nil
}

// DeadlineStatus is the worst of a check's findings.
func DeadlineStatus(r activities.DeadlineReport) string {
	switch {
	case r.Overdue > 0:
		return "overdue"
	case r.AtRisk > 0:
		return "at_risk"
	}
	return "ok"
}
