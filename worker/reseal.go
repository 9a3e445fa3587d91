package worker

import (
	"context"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/workflows"
)

// StartPIIReseal starts the re-sealing run that moves every sealed row to
// activeKeyID (or attaches to the one already running for it). A finished run
// for the key may be started again: it skips what is already current, so a
// second run after stragglers (rows a not-yet-restarted process sealed under
// the old key) only moves those.
// batchSize and batchesPerRun (0: the workflow's defaults) size the batches and
// how many run before the workflow continues as new.
func StartPIIReseal(ctx context.Context, c client.Client, taskQueue, activeKeyID string, batchSize, batchesPerRun int) (client.WorkflowRun, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.PIIResealID(activeKeyID),
		TaskQueue:                taskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.PIIResealName, workflows.PIIResealInput{
		KeyID: activeKeyID, BatchSize: batchSize, BatchesPerRun: batchesPerRun,
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", workflows.PIIResealID(activeKeyID), err)
	}
	return run, nil
}
