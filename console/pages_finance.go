package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// --- producers: balance, holds, statement ---

type balance struct {
	Payable         int64     `json:"payable"`
	PayableAtCutoff int64     `json:"payable_at_cutoff"`
	InFlight        int64     `json:"in_flight"`
	Cutoff          time.Time `json:"cutoff"`
	SettlementDays  int       `json:"settlement_days"`
}

type statementLine struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Amount    int64     `json:"amount"`
	Gross     int64     `json:"gross"`
	Fee       int64     `json:"fee"`
	PaymentID string    `json:"payment_id"`
	Reference string    `json:"reference"`
	CreatedAt time.Time `json:"created_at"`
}

type producerPage struct {
	ID      string
	Balance *balance
	Lines   []statementLine
	Total   int64 // sum of the lines' amounts
}

func loadProducer(c *Console, ec echo.Context, s *session) (any, error) {
	p := producerPage{ID: ec.QueryParam("id")}
	if p.ID == "" {
		return p, nil
	}
	base := "/v1/producers/" + url.PathEscape(p.ID)
	var b balance
	if err := c.call(ec, s, http.MethodGet, base+"/balance", nil, &b); err != nil {
		return p, err
	}
	p.Balance = &b
	lines, err := c.statement(ec, s, p.ID)
	p.Lines = lines
	for _, l := range lines {
		p.Total += l.Amount
	}
	return p, err
}

// statement reads every line of the producer's statement, page by page
// (newest first), up to a bound so one request stays small.
func (c *Console) statement(ec echo.Context, s *session, id string) ([]statementLine, error) {
	var all []statementLine
	before := ""
	for range 50 {
		path := "/v1/producers/" + url.PathEscape(id) + "/statements?limit=100"
		if before != "" {
			path += "&before=" + before
		}
		var page struct {
			Lines      []statementLine `json:"lines"`
			NextBefore int64           `json:"next_before"`
		}
		if err := c.call(ec, s, http.MethodGet, path, nil, &page); err != nil {
			return all, err
		}
		all = append(all, page.Lines...)
		if page.NextBefore == 0 {
			break
		}
		before = strconv.FormatInt(page.NextBefore, 10)
	}
	return all, nil
}

// statementCSV downloads the statement as CSV (UTF-8 with a BOM so that Excel
// in Korea reads the Hangul header), with a total line at the end.
func statementCSV(c *Console, ec echo.Context, s *session) error {
	id := ec.Param("id")
	lines, err := c.statement(ec, s, id)
	if err != nil {
		return err
	}
	h := ec.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="statement-%s.csv"`, url.PathEscape(id)))
	ec.Response().WriteHeader(http.StatusOK)
	_, _ = ec.Response().Write([]byte("\ufeff"))
	w := csv.NewWriter(ec.Response())
	_ = w.Write([]string{"line_id", "created_at_kst", "kind", "amount", "gross", "fee", "payment_id", "reference"})
	var total int64
	for _, l := range lines {
		total += l.Amount
		_ = w.Write([]string{strconv.FormatInt(l.ID, 10), l.CreatedAt.In(seoul).Format(time.RFC3339), l.Kind,
			strconv.FormatInt(l.Amount, 10), strconv.FormatInt(l.Gross, 10), strconv.FormatInt(l.Fee, 10), l.PaymentID, l.Reference})
	}
	_ = w.Write([]string{"total", "", "", strconv.FormatInt(total, 10), "", "", "", ""})
	w.Flush()
	return w.Error()
}

// --- payout schedules ---

type schedule struct {
	ID                string      `json:"id"`
	Cron              []string    `json:"cron"`
	Interval          string      `json:"interval"`
	TimeZone          string      `json:"time_zone"`
	Cycle             string      `json:"cycle"`
	ApprovalThreshold int64       `json:"approval_threshold"`
	Paused            bool        `json:"paused"`
	Note              string      `json:"note"`
	NextRuns          []time.Time `json:"next_runs"`
	RecentRuns        []struct {
		RunID     string    `json:"run_id"`
		StartedAt time.Time `json:"started_at"`
	} `json:"recent_runs"`
}

func loadSchedules(c *Console, ec echo.Context, s *session) (any, error) {
	var out struct {
		Schedules []schedule `json:"schedules"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/payout-schedules", nil, &out)
	return out.Schedules, err
}

func createSchedule(c *Console, ec echo.Context, s *session) (string, error) {
	body := map[string]any{
		"id": ec.FormValue("id"), "time_zone": "Asia/Seoul", "cycle": ec.FormValue("cycle"), "note": ec.FormValue("note"),
		"paused": ec.FormValue("paused") == "on",
	}
	if v := ec.FormValue("cron"); v != "" {
		body["cron"] = v
	}
	if v := ec.FormValue("interval"); v != "" {
		body["interval"] = v
	}
	if v := ec.FormValue("approval_threshold"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "/console/payout-schedules", &apiError{Status: http.StatusBadRequest, Code: "validation_failed"}
		}
		body["approval_threshold"] = n
	}
	return "/console/payout-schedules", c.call(ec, s, http.MethodPost, "/v1/payout-schedules", body, nil)
}

func pauseSchedule(paused bool) func(*Console, echo.Context, *session) (string, error) {
	return func(c *Console, ec echo.Context, s *session) (string, error) {
		return "/console/payout-schedules", c.call(ec, s, http.MethodPatch, "/v1/payout-schedules/"+url.PathEscape(ec.Param("id")),
			map[string]any{"paused": paused, "note": ec.FormValue("note")}, nil)
	}
}

func triggerSchedule(c *Console, ec echo.Context, s *session) (string, error) {
	return "/console/payout-schedules", c.call(ec, s, http.MethodPost, "/v1/payout-schedules/"+url.PathEscape(ec.Param("id"))+"/trigger", nil, nil)
}

// --- payout runs and approvals ---

type payoutRun struct {
	ID          string     `json:"id"`
	ScheduleID  string     `json:"schedule_id"`
	Period      string     `json:"period"`
	Cutoff      time.Time  `json:"cutoff"`
	Status      string     `json:"status"`
	CompletedAt *time.Time `json:"completed_at"`
	Totals      map[string]struct {
		Count  int64 `json:"count"`
		Amount int64 `json:"amount"`
	} `json:"totals"`
	Payouts []struct {
		ID         string    `json:"id"`
		ProducerID string    `json:"producer_id"`
		Amount     int64     `json:"amount"`
		Status     string    `json:"status"`
		Reason     string    `json:"reason"`
		ApprovedBy string    `json:"approved_by"`
		UpdatedAt  time.Time `json:"updated_at"`
	} `json:"payouts"`
}

type runPage struct {
	ID  string
	Run *payoutRun
}

func loadRun(c *Console, ec echo.Context, s *session) (any, error) {
	p := runPage{ID: ec.QueryParam("id")}
	if p.ID == "" {
		return p, nil
	}
	var r payoutRun
	if err := c.call(ec, s, http.MethodGet, "/v1/payout-runs/"+url.PathEscape(p.ID), nil, &r); err != nil {
		return p, err
	}
	p.Run = &r
	return p, nil
}

func approvePayout(c *Console, ec echo.Context, s *session) (string, error) {
	back := "/console/payout-runs?id=" + url.QueryEscape(ec.FormValue("run_id"))
	return back, c.call(ec, s, http.MethodPost, "/v1/payouts/"+url.PathEscape(ec.Param("id"))+"/approve", map[string]any{}, nil)
}

// --- reconciliation ---

type reconRun struct {
	ID          string     `json:"id"`
	Date        string     `json:"date"`
	Status      string     `json:"status"`
	PGItems     int        `json:"pg_items"`
	LedgerItems int        `json:"ledger_items"`
	Mismatches  int        `json:"mismatches"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

func loadRecons(c *Console, ec echo.Context, s *session) (any, error) {
	var out struct {
		Runs []reconRun `json:"runs"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/reconciliations", nil, &out)
	return out.Runs, err
}

type reconPage struct {
	Run      reconRun `json:"run"`
	Findings []struct {
		PG           string `json:"pg"`
		Kind         string `json:"kind"`
		ItemType     string `json:"item_type"`
		PaymentID    string `json:"payment_id"`
		PaymentKey   string `json:"payment_key"`
		LedgerAmount int64  `json:"ledger_amount"`
		PGAmount     int64  `json:"pg_amount"`
		ExpectedFee  int64  `json:"expected_fee"`
		PGFee        int64  `json:"pg_fee"`
	} `json:"findings"`
}

func loadRecon(c *Console, ec echo.Context, s *session) (any, error) {
	var p reconPage
	if err := c.call(ec, s, http.MethodGet, "/v1/reconciliations/"+url.PathEscape(ec.Param("id")), nil, &p); err != nil {
		return nil, err
	}
	return p, nil
}

func triggerRecon(c *Console, ec echo.Context, s *session) (string, error) {
	return "/console/reconciliations", c.call(ec, s, http.MethodPost, "/v1/reconciliations", map[string]any{"date": ec.FormValue("date")}, nil)
}
