package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// startOptions starts a workflow whose id is a business key: a running one with
// the same id is joined (USE_EXISTING), a closed one is never run again
// (REJECT_DUPLICATE). No execution or run timeout: a payment finishes however
// long its provider takes.
// The request id goes into the workflow's memo, so ops can go from a log line
// or a client's X-Request-Id to the workflow and back.
func (s *server) startOptions(c echo.Context, workflowID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		Memo:                     map[string]any{"request_id": c.Response().Header().Get(headerRequestID)},
		ID:                       workflowID,
		TaskQueue:                s.cfg.TaskQueue,
		EnableEagerStart:         true,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// await waits for the run's result until budget ends. pending reports that the
// budget ran out first (the workflow goes on); err is a workflow that ended
// without a result, a request whose client went away, or a fault of ours.
// A wait cut short by the transport (the server ends a long poll as the
// deadline nears) is resumed while budget remains.
func await(ctx, budget context.Context, run client.WorkflowRun, result any) (pending bool, err error) {
	for {
		err = run.Get(budget, result)
		switch {
		case err == nil:
			return false, nil
		case ctx.Err() != nil:
			return false, ctx.Err()
		case budget.Err() != nil:
			return true, nil
		case !interruptedWait(err):
			return false, fmt.Errorf("workflow %s: %w", run.GetID(), err)
		}
		select {
		case <-budget.Done():
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return true, nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// interruptedWait tells a wait the transport cut from a workflow's own failure.
func interruptedWait(err error) bool {
	var (
		wfErr       *temporal.WorkflowExecutionError
		canceled    *serviceerror.Canceled
		deadline    *serviceerror.DeadlineExceeded
		unavailable *serviceerror.Unavailable
	)
	if errors.As(err, &wfErr) {
		return false
	}
	return errors.As(err, &canceled) || errors.As(err, &deadline) || errors.As(err, &unavailable) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// startedInput decodes the input a run was started with, to tell whether a
// joined run is this request's or another's.
func (s *server) startedInput(ctx context.Context, workflowID, runID string, dst any) error {
	it := s.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return fmt.Errorf("workflow %s has no history", workflowID)
	}
	ev, err := it.Next()
	if err != nil {
		return fmt.Errorf("read start of workflow %s: %w", workflowID, err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return errors.New("first event of workflow " + workflowID + " is not its start")
	}
	if err := s.dataConverter.FromPayloads(attrs.GetInput(), dst); err != nil {
		return fmt.Errorf("decode input of workflow %s: %w", workflowID, err)
	}
	return nil
}
