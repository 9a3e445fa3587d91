package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

type triggerReconRequest struct {
	Date string `json:"date"` // YYYY-MM-DD, Korea time
}

// parseReconDate accepts a day up to today in Korea.
func parseReconDate(field, s string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", s, activities.KST)
	var v validation
	switch {
	case err != nil:
		v.add(codeValidationFailed, field, "must be a date YYYY-MM-DD")
	case d.After(time.Now().In(activities.KST)):
		v.add(codeValidationFailed, field, "must not be in the future")
	}
	return d, v.err()
}

// triggerReconciliation runs the reconciliation for a date now (role finance):
// 202 with the run id; the run appears in GET /v1/reconciliations/{id}.
func (s *server) triggerReconciliation(c echo.Context) error {
	var req triggerReconRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if _, err := parseReconDate("date", req.Date); err != nil {
		return err
	}
	id := workflows.ReconcileID(req.Date, uuid.NewString()[:8])
	_, err := s.temporal.ExecuteWorkflow(c.Request().Context(), client.StartWorkflowOptions{ID: id, TaskQueue: s.cfg.TaskQueue},
		workflows.ReconcileName, workflows.ReconcileInput{Date: req.Date, PGs: s.cfg.PGs(), FeeBPS: s.cfg.PGFeeBPS})
	if err != nil {
		return temporalUnavailable(fmt.Errorf("start %s: %w", id, err))
	}
	return c.JSON(http.StatusAccepted, map[string]any{"id": id, "date": req.Date, "status": "running"})
}

type reconRunResponse struct {
	ID          string     `json:"id"`
	Date        string     `json:"date"`
	Status      string     `json:"status"`
	PGItems     int32      `json:"pg_items"`
	LedgerItems int32      `json:"ledger_items"`
	Mismatches  int32      `json:"mismatches"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

func toReconRunResponse(r db.ReconRun) reconRunResponse {
	out := reconRunResponse{ID: r.ID, Date: r.Date.Time.Format("2006-01-02"), Status: r.Status, PGItems: r.PgItems,
		LedgerItems: r.LedgerItems, Mismatches: r.Mismatches, StartedAt: r.StartedAt.Time.UTC()}
	if r.CompletedAt.Valid {
		t := r.CompletedAt.Time.UTC()
		out.CompletedAt = &t
	}
	return out
}

type reconFindingResponse struct {
	PG           string `json:"pg"`
	Kind         string `json:"kind"`
	ItemType     string `json:"item_type"`
	PaymentID    string `json:"payment_id"`
	PaymentKey   string `json:"payment_key"`
	LedgerAmount int64  `json:"ledger_amount"`
	PGAmount     int64  `json:"pg_amount"`
	ExpectedFee  int64  `json:"expected_fee"`
	PGFee        int64  `json:"pg_fee"`
}

// listReconciliations lists runs, newest first, optionally for one date.
func (s *server) listReconciliations(c echo.Context) error {
	var date pgtype.Date
	if v := c.QueryParam("date"); v != "" {
		d, err := parseReconDate("date", v)
		if err != nil {
			return err
		}
		date = pgtype.Date{Time: d, Valid: true}
	}
	rows, err := s.q.ListReconRuns(c.Request().Context(), date)
	if err != nil {
		return internalError(fmt.Errorf("list recon runs: %w", err))
	}
	out := make([]reconRunResponse, len(rows))
	for i, r := range rows {
		out[i] = toReconRunResponse(r)
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": out})
}

// getReconciliation is one run with every finding.
func (s *server) getReconciliation(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	run, err := s.q.GetReconRun(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusNotFound, codeReconRunNotFound, fmt.Sprintf("no reconciliation run %q (yet)", id))
	}
	if err != nil {
		return internalError(fmt.Errorf("load recon run %s: %w", id, err))
	}
	rows, err := s.q.ListReconFindings(ctx, id)
	if err != nil {
		return internalError(fmt.Errorf("findings of %s: %w", id, err))
	}
	findings := make([]reconFindingResponse, len(rows))
	for i, f := range rows {
		findings[i] = reconFindingResponse{PG: f.Pg, Kind: f.Kind, ItemType: f.ItemType, PaymentID: f.PaymentID, PaymentKey: f.PaymentKey,
			LedgerAmount: f.LedgerAmount, PGAmount: f.PgAmount, ExpectedFee: f.ExpectedFee, PGFee: f.PgFee}
	}
	return c.JSON(http.StatusOK, map[string]any{"run": toReconRunResponse(run), "findings": findings})
}
