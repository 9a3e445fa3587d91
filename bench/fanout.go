package bench

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// BareFanOutName is the payout run's floor: the same shape (pages of children
// at bounded concurrency, continue-as-new after each page) with the bare
// workflow as the child.
const BareFanOutName = "BenchBareFanOut"

type BareFanOutInput struct {
	N, Done, PageSize, Concurrency int
}

// BareFanOut starts N bare children, PageSize per run and at most Concurrency
// at once, continuing as new after each page as PayoutRun does.
func BareFanOut(ctx workflow.Context, in BareFanOutInput) (int, error) {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	end := min(in.N, in.Done+in.PageSize)
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	var firstErr error
	for i := in.Done; i < end; i++ {
		if inFlight >= in.Concurrency {
			sel.Select(ctx)
			inFlight--
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: fmt.Sprintf("%s-%06d", id, i)})
		inFlight++
		sel.AddFuture(workflow.ExecuteChildWorkflow(cctx, BareWorkflowName), func(f workflow.Future) {
			if err := f.Get(ctx, nil); err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	for ; inFlight > 0; inFlight-- {
		sel.Select(ctx)
	}
	if firstErr != nil || end >= in.N {
		return end, firstErr
	}
	in.Done = end
	return end, workflow.NewContinueAsNewError(ctx, BareFanOutName, in)
}

// RunBareFanOut measures BareFanOut over n children on its own worker and
// task queue, and returns its wall time.
func RunBareFanOut(ctx context.Context, c client.Client, taskQueue string, n, pageSize, concurrency int) (time.Duration, error) {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(BareWorkflow, workflow.RegisterOptions{Name: BareWorkflowName})
	w.RegisterWorkflowWithOptions(BareFanOut, workflow.RegisterOptions{Name: BareFanOutName})
	w.RegisterActivity(noop)
	if err := w.Start(); err != nil {
		return 0, fmt.Errorf("fan-out worker: %w", err)
	}
	defer w.Stop()
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bench-fanout-%d", start.UnixNano()), TaskQueue: taskQueue},
		BareFanOutName, BareFanOutInput{N: n, PageSize: pageSize, Concurrency: concurrency})
	if err != nil {
		return 0, fmt.Errorf("start fan-out: %w", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		return 0, fmt.Errorf("fan-out: %w", err)
	}
	return time.Since(start), nil
}
