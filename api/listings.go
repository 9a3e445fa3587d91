package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
)

// Listings finance reads in the console: every producer, every payout run.

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
