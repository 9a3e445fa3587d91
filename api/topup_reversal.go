package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// codeTopUpNotStuck: the top-up ended, or its TopUp workflow is still running
// (it may yet give the debit back itself); nothing is started.
const codeTopUpNotStuck = "topup_not_stuck"

type stuckTopUp struct {
	ID             string    `json:"id"`
	CustomerID     string    `json:"customer_id"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	CreatedAt      time.Time `json:"created_at"`
	WorkflowID     string    `json:"workflow_id"`
	WorkflowStatus string    `json:"workflow_status"` // running | failed | terminated | timed_out | ... | not_found
}

// listStuckTopUps is the ops queue of top-ups still processing after
// ?older_than= seconds (default 300), each with its TopUp workflow's state: one
// that is no longer running left its debit with us, and its reversal may be
// retried.
func (s *server) listStuckTopUps(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	olderThan := 300
	if v := c.QueryParam("older_than"); v != "" {
		if olderThan, err = strconv.Atoi(v); err != nil || olderThan < 0 {
			return problem(http.StatusBadRequest, codeValidationFailed, "older_than must be seconds >= 0")
		}
	}
	ctx := c.Request().Context()
	rows, err := s.q.ListStuckTopUps(ctx, db.ListStuckTopUpsParams{
		CreatedBefore: ts(time.Now().Add(-time.Duration(olderThan) * time.Second)), PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("stuck top-ups: %w", err))
	}
	out := make([]stuckTopUp, len(rows))
	for i, t := range rows {
		st, err := s.workflowStatus(c, t.WorkflowID)
		if err != nil {
			return err
		}
		out[i] = stuckTopUp{ID: t.ID, CustomerID: t.CustomerID, Amount: t.Amount, Currency: t.Currency,
			CreatedAt: t.CreatedAt.Time.UTC(), WorkflowID: t.WorkflowID, WorkflowStatus: st}
	}
	return c.JSON(http.StatusOK, map[string]any{"data": out})
}

// workflowStatus is the workflow's state in lower case ("running", "failed",
// ...), or "not_found".
func (s *server) workflowStatus(c echo.Context, id string) (string, error) {
	d, err := s.temporal.DescribeWorkflowExecution(c.Request().Context(), id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return "not_found", nil
	}
	if err != nil {
		return "", temporalUnavailable(fmt.Errorf("describe %s: %w", id, err))
	}
	return workflowStatusName(d.WorkflowExecutionInfo.Status), nil
}

func workflowStatusName(st enumspb.WorkflowExecutionStatus) string {
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued_as_new"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed_out"
	}
	return "unknown"
}

// retryTopUpReversal re-drives the reversal of a stuck top-up: one still
// processing whose TopUp workflow ended. It starts RetryTopUpReversal under
// one id per top-up (a repeated click joins the running retry; a failed retry
// may be started again), and the bank transfer back is keyed by the top-up, so
// the money goes back once however often this is called.
func (s *server) retryTopUpReversal(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.q.GetTopUp(ctx, c.Param("topup_id"))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && t.CustomerID != c.Param("customer_id")) {
		return problem(http.StatusNotFound, codeTopUpNotFound, "no such top-up")
	}
	if err != nil {
		return internalError(fmt.Errorf("get top-up: %w", err))
	}
	if t.Status != workflows.StatusProcessing {
		return problem(http.StatusConflict, codeTopUpNotStuck, fmt.Sprintf("top-up %s is %s", t.ID, t.Status))
	}
	st, err := s.workflowStatus(c, t.WorkflowID)
	if err != nil {
		return err
	}
	if st == "running" {
		return problem(http.StatusConflict, codeTopUpNotStuck, fmt.Sprintf("top-up %s is still running (%s)", t.ID, t.WorkflowID))
	}
	id := workflows.RetryTopUpReversalID(t.ID)
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.RetryTopUpReversalName, workflows.RetryTopUpReversalInput{TopUpID: t.ID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		// A retry completed since we read the top-up: it is no longer stuck.
		return problem(http.StatusConflict, codeTopUpNotStuck, fmt.Sprintf("top-up %s was reversed already", t.ID))
	}
	if err != nil {
		return temporalUnavailable(fmt.Errorf("start %s: %w", id, err))
	}
	if err := s.audit(ctx, s.q, c, auditTopUpReversalRetried, "topup:"+t.ID, nil, map[string]any{"workflow_id": id, "amount": t.Amount}); err != nil {
		return err
	}
	s.log.Info().Str("topup_id", t.ID).Str("workflow_id", id).Str("api_key_id", callerOf(c).ID).Msg("top-up reversal retried")
	return c.JSON(http.StatusAccepted, map[string]any{"topup_id": t.ID, "workflow_id": id, "run_id": run.GetRunID()})
}
