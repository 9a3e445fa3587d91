package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
)

// Listings finance and ops read in the console: every producer, every payout
// run, the settlements at risk of their deadline.

type producerList struct {
	Producers []producerResponse `json:"producers"`
	NextAfter string             `json:"next_after,omitempty"` // ?after= for the next page
}

// listProducers answers one page of producers in id order (?after=&limit=),
// with their hold flag and reason.
func (s *server) listProducers(c echo.Context) error {
	_, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	rows, err := s.q.ListProducers(c.Request().Context(), db.ListProducersParams{AfterID: c.QueryParam("after"), PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("list producers: %w", err))
	}
	out := producerList{Producers: make([]producerResponse, len(rows))}
	for i, p := range rows {
		out.Producers[i] = toProducerResponse(p)
	}
	if len(rows) == int(limit) {
		out.NextAfter = rows[len(rows)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

// payoutRunSummary is a run without its payouts (GET /v1/payout-runs/{id} has them).
type payoutRunSummary struct {
	ID          string     `json:"id"`
	ScheduleID  string     `json:"schedule_id,omitempty"`
	Period      string     `json:"period"`
	Cutoff      time.Time  `json:"cutoff"`
	Currency    string     `json:"currency"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

type payoutRunList struct {
	Runs      []payoutRunSummary `json:"runs"`
	NextAfter string             `json:"next_after,omitempty"`
}

// listPayoutRuns answers runs newest first (?schedule_id=&after=&limit=).
func (s *server) listPayoutRuns(c echo.Context) error {
	_, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	rows, err := s.q.ListPayoutRuns(c.Request().Context(), db.ListPayoutRunsParams{
		ScheduleID: c.QueryParam("schedule_id"), BeforeID: c.QueryParam("after"), PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("list payout runs: %w", err))
	}
	out := payoutRunList{Runs: make([]payoutRunSummary, len(rows))}
	for i, r := range rows {
		out.Runs[i] = payoutRunSummary{ID: r.ID, ScheduleID: r.ScheduleID, Period: r.Period, Cutoff: r.Cutoff.Time.UTC(),
			Currency: r.Currency, Status: r.Status, CreatedAt: r.CreatedAt.Time.UTC()}
		if r.CompletedAt.Valid {
			t := r.CompletedAt.Time.UTC()
			out.Runs[i].CompletedAt = &t
		}
	}
	if len(rows) == int(limit) {
		out.NextAfter = rows[len(rows)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

type atRiskEntry struct {
	ID           int64     `json:"id"`
	ProducerID   string    `json:"producer_id"`
	PaymentID    string    `json:"payment_id"`
	OrderID      string    `json:"order_id"`
	Currency     string    `json:"currency"`
	Net          int64     `json:"net"`
	ConfirmedAt  time.Time `json:"confirmed_at"`
	DueAt        time.Time `json:"due_at"`
	Overdue      bool      `json:"overdue"`
	PayoutID     string    `json:"payout_id,omitempty"`     // the run that claimed it, when one did
	PayoutStatus string    `json:"payout_status,omitempty"` // e.g. held, awaiting_approval
}

type atRiskList struct {
	AsOf        time.Time     `json:"as_of"`
	WindowHours int           `json:"window_hours"`
	Entries     []atRiskEntry `json:"entries"`
}

// listSettlementDeadlines is the queue behind the deadline check: confirmed
// sales not yet paid that are due within activities.AtRiskWindow (or overdue),
// soonest due first, so finance sees which producer and order to act on.
func (s *server) listSettlementDeadlines(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rows, err := s.q.ListSettlementsAtRisk(c.Request().Context(), db.ListSettlementsAtRiskParams{
		AtRiskBy: ts(now.Add(activities.AtRiskWindow)), PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("settlements at risk: %w", err))
	}
	out := atRiskList{AsOf: now, WindowHours: int(activities.AtRiskWindow / time.Hour), Entries: make([]atRiskEntry, len(rows))}
	for i, r := range rows {
		out.Entries[i] = atRiskEntry{ID: r.ID, ProducerID: r.ProducerID, PaymentID: r.PaymentID, OrderID: r.OrderID,
			Currency: r.Currency, Net: r.Net, ConfirmedAt: r.ConfirmedAt.Time.UTC(), DueAt: r.DueAt.Time.UTC(),
			Overdue: r.DueAt.Time.Before(now), PayoutID: r.PayoutID, PayoutStatus: r.PayoutStatus}
	}
	return c.JSON(http.StatusOK, out)
}
