package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

type payoutResponse struct {
	ID         string    `json:"id"`
	ProducerID string    `json:"producer_id"`
	Period     string    `json:"period"`
	RunID      string    `json:"run_id"`
	Currency   string    `json:"currency"`
	Amount     int64     `json:"amount"`
	Status     string    `json:"status"` // pending | awaiting_approval | paid | held | failed
	Reason     string    `json:"reason,omitempty"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Approvals lists the finance keys that approved so far (four-eyes payouts).
	Approvals []string `json:"approvals,omitempty"`
}

func toPayoutResponse(p db.Payout) payoutResponse {
	return payoutResponse{ID: p.ID, ProducerID: p.ProducerID, Period: p.Period, RunID: p.RunID, Currency: p.Currency,
		Amount: p.Amount, Status: p.Status, Reason: p.Reason, ApprovedBy: p.ApprovedBy, UpdatedAt: p.UpdatedAt.Time.UTC()}
}

type statusTotal struct {
	Count  int64 `json:"count"`
	Amount int64 `json:"amount"`
}

type payoutRunResponse struct {
	ID          string                 `json:"id"`
	ScheduleID  string                 `json:"schedule_id,omitempty"`
	Period      string                 `json:"period"`
	Cutoff      time.Time              `json:"cutoff"`
	Currency    string                 `json:"currency"`
	Status      string                 `json:"status"` // running | completed (payouts awaiting approval may remain)
	CompletedAt *time.Time             `json:"completed_at,omitempty"`
	Totals      map[string]statusTotal `json:"totals"` // by payout status
	Payouts     []payoutResponse       `json:"payouts"`
	NextAfter   string                 `json:"next_after,omitempty"` // ?after= for the next page of payouts
}

// getPayoutRun shows a run's progress: totals by payout status and a page of its
// payouts (?after=producer_id&limit=).
func (s *server) getPayoutRun(c echo.Context) error {
	id := c.Param("id")
	ctx := c.Request().Context()
	run, err := s.q.GetPayoutRun(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusNotFound, codePayoutRunNotFound, fmt.Sprintf("no payout run %q", id))
	}
	if err != nil {
		return internalError(fmt.Errorf("get payout run %s: %w", id, err))
	}
	_, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	totals, err := s.q.PayoutRunTotals(ctx, id)
	if err != nil {
		return internalError(fmt.Errorf("totals of payout run %s: %w", id, err))
	}
	rows, err := s.q.ListRunPayouts(ctx, db.ListRunPayoutsParams{RunID: id, AfterID: c.QueryParam("after"), PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("payouts of run %s: %w", id, err))
	}
	out := payoutRunResponse{ID: run.ID, ScheduleID: run.ScheduleID, Period: run.Period, Cutoff: run.Cutoff.Time.UTC(),
		Currency: run.Currency, Status: run.Status, Totals: map[string]statusTotal{}, Payouts: make([]payoutResponse, len(rows))}
	if run.CompletedAt.Valid {
		t := run.CompletedAt.Time.UTC()
		out.CompletedAt = &t
	}
	for _, t := range totals {
		out.Totals[t.Status] = statusTotal{Count: t.N, Amount: t.Amount}
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		out.Payouts[i] = toPayoutResponse(r)
		ids[i] = r.ID
	}
	approvals, err := s.q.ListRunApprovals(ctx, ids)
	if err != nil {
		return internalError(fmt.Errorf("approvals of run %s: %w", id, err))
	}
	// Four-eyes progress: who approved each payout so far.
	byPayout := map[string][]string{}
	for _, a := range approvals {
		byPayout[a.PayoutID] = append(byPayout[a.PayoutID], a.ApiKeyID)
	}
	for i := range out.Payouts {
		out.Payouts[i].Approvals = byPayout[out.Payouts[i].ID]
	}
	if len(rows) == int(limit) {
		out.NextAfter = rows[len(rows)-1].ProducerID
	}
	return c.JSON(http.StatusOK, out)
}

// approvePayout releases a payout waiting for finance (the workflow's approve
// update) and answers once the workflow has accepted it.
func (s *server) approvePayout(c echo.Context) error {
	if err := decodeJSON(c, &struct{}{}, true); err != nil {
		return err
	}
	id := c.Param("id")
	ctx := c.Request().Context()
	po, err := s.q.GetPayout(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusNotFound, codePayoutNotFound, fmt.Sprintf("no payout %q", id))
	}
	if err != nil {
		return internalError(fmt.Errorf("get payout %s: %w", id, err))
	}
	if po.Status != activities.PayoutAwaitingApproval {
		return problem(http.StatusConflict, codePayoutNotAwaiting, fmt.Sprintf("payout %s is %s, not awaiting approval", id, po.Status))
	}
	approvers, err := s.recordApproval(c, po)
	if err != nil {
		return err
	}
	if need := s.approvalsNeeded(po); len(approvers) < need {
		// Four-eyes: wait for another finance key; the same key again counts once.
		out := toPayoutResponse(po)
		out.Approvals = approvers
		return c.JSON(http.StatusAccepted, out)
	}
	approvedBy := strings.Join(approvers, ",")
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.ApproveUpdate, UpdateID: "approve-" + id,
		Args:         []any{workflows.ApproveInput{ApprovedBy: approvedBy}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return problem(http.StatusConflict, codePayoutNotAwaiting, fmt.Sprintf("payout %s is no longer running", id))
	case err != nil && isRejected(err):
		return problem(http.StatusConflict, codePayoutNotAwaiting, fmt.Sprintf("payout %s is not awaiting approval", id))
	case err != nil:
		return temporalUnavailable(fmt.Errorf("approve payout %s: %w", id, err))
	}
	po.Status, po.ApprovedBy = activities.PayoutPending, approvedBy
	out := toPayoutResponse(po)
	out.Approvals = approvers
	return c.JSON(http.StatusOK, out)
}

// approvalsNeeded is 2 above the four-eyes threshold, else 1.
func (s *server) approvalsNeeded(po db.Payout) int {
	if s.cfg.FourEyesThreshold > 0 && po.Amount > s.cfg.FourEyesThreshold {
		return 2
	}
	return 1
}

// recordApproval stores the caller's approval (once per key) with its audit
// row, and returns every key that approved the payout so far.
func (s *server) recordApproval(c echo.Context, po db.Payout) ([]string, error) {
	ctx := c.Request().Context()
	var approvers []string
	err := s.inTx(ctx, func(q *db.Queries) error {
		n, err := q.AddPayoutApproval(ctx, db.AddPayoutApprovalParams{PayoutID: po.ID, ApiKeyID: callerOf(c).ID})
		if err != nil {
			return internalError(fmt.Errorf("record approval of %s: %w", po.ID, err))
		}
		if approvers, err = q.ListPayoutApprovers(ctx, po.ID); err != nil {
			return internalError(fmt.Errorf("approvals of %s: %w", po.ID, err))
		}
		if n == 0 {
			return nil // this key approved before: nothing changed, nothing to audit
		}
		return s.audit(ctx, q, c, auditPayoutApproved, "payout:"+po.ID, nil,
			map[string]any{"approvals": len(approvers), "needed": s.approvalsNeeded(po), "amount": po.Amount})
	})
	return approvers, err
}

// isRejected tells an update the workflow's validator refused from a transport fault.
func isRejected(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app)
}
