package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	ID          string
	Producers   []producer // the list, when no producer is open
	NextAfter   string
	Balance     *balance
	Settlements []settlement
	Lines       []statementLine
	Total       int64 // sum of the lines' amounts
}

type producer struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	SettlementDays     int       `json:"settlement_days"`
	FeeBPS             int64     `json:"fee_bps"`
	PayoutHold         bool      `json:"payout_hold"`
	HoldReason         string    `json:"hold_reason"`
	OnboardingComplete bool      `json:"onboarding_complete"`
	CreatedAt          time.Time `json:"created_at"`
}

// settlement is one paid period's statement (GET /v1/producers/{id}/settlements/{sid}).
type settlement struct {
	ID            string    `json:"id"`
	Period        string    `json:"period"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason"`
	Cutoff        time.Time `json:"cutoff"`
	GrossSales    int64     `json:"gross_sales"`
	Refunds       int64     `json:"refunds"`
	Commission    int64     `json:"commission"`
	CommissionVAT int64     `json:"commission_vat"`
	Adjustments   int64     `json:"adjustments"`
	CarriedOver   int64     `json:"carried_over"`
	NetPaid       int64     `json:"net_paid"`
	Lines         []struct {
		Kind          string    `json:"kind"`
		OrderID       string    `json:"order_id"`
		PaymentID     string    `json:"payment_id"`
		ConfirmedAt   time.Time `json:"confirmed_at"`
		DueAt         time.Time `json:"due_at"`
		Gross         int64     `json:"gross"`
		Commission    int64     `json:"commission"`
		CommissionVAT int64     `json:"commission_vat"`
		Net           int64     `json:"net"`
		CarriedOver   bool      `json:"carried_over"`
	} `json:"lines"`
}

func loadProducer(c *Console, ec echo.Context, s *session) (any, error) {
	p := producerPage{ID: ec.QueryParam("id")}
	if p.ID == "" {
		return loadProducerList(c, ec, s, p)
	}
	base := "/v1/producers/" + url.PathEscape(p.ID)
	var b balance
	if err := c.call(ec, s, http.MethodGet, base+"/balance", nil, &b); err != nil {
		return p, err
	}
	p.Balance = &b
	var sl struct {
		Settlements []settlement `json:"settlements"`
	}
	if err := c.call(ec, s, http.MethodGet, base+"/settlements", nil, &sl); err != nil {
		return p, err
	}
	p.Settlements = sl.Settlements
	lines, err := c.statement(ec, s, p.ID)
	p.Lines = lines
	for _, l := range lines {
		p.Total += l.Amount
	}
	return p, err
}

// loadProducerList is one page of every producer, with holds (?after= pages on).
func loadProducerList(c *Console, ec echo.Context, s *session, p producerPage) (any, error) {
	q := url.Values{"limit": {"100"}}
	if v := ec.QueryParam("after"); v != "" {
		q.Set("after", v)
	}
	var out struct {
		Producers []producer `json:"producers"`
		NextAfter string     `json:"next_after"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/producers?"+q.Encode(), nil, &out)
	p.Producers, p.NextAfter = out.Producers, out.NextAfter
	return p, err
}

type settlementPage struct {
	ProducerID string
	Settlement settlement
}

// loadSettlement is one period's settlement statement with its lines.
func loadSettlement(c *Console, ec echo.Context, s *session) (any, error) {
	p := settlementPage{ProducerID: ec.Param("id")}
	err := c.call(ec, s, http.MethodGet, settlementPath(ec), nil, &p.Settlement)
	return p, err
}

func settlementPath(ec echo.Context) string {
	return "/v1/producers/" + url.PathEscape(ec.Param("id")) + "/settlements/" + url.PathEscape(ec.Param("settlement_id"))
}

// settlementCSV downloads the API's own CSV of the statement (?format=csv), so
// the file finance keeps is exactly what the API answers, total line included.
func settlementCSV(c *Console, ec echo.Context, s *session) error {
	_, raw, err := c.callRaw(ec, s, http.MethodGet, settlementPath(ec)+"?format=csv", nil)
	if err != nil {
		return err
	}
	h := ec.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="settlement-%s.csv"`, url.PathEscape(ec.Param("settlement_id"))))
	return ec.Blob(http.StatusOK, "text/csv; charset=utf-8", append([]byte("\ufeff"), raw...))
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
		Approvals  []string  `json:"approvals"`
		UpdatedAt  time.Time `json:"updated_at"`
	} `json:"payouts"`
	NextAfter string `json:"next_after"`
}

type runSummary struct {
	ID          string     `json:"id"`
	ScheduleID  string     `json:"schedule_id"`
	Period      string     `json:"period"`
	Cutoff      time.Time  `json:"cutoff"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

type runPage struct {
	ID        string
	Run       *payoutRun
	Runs      []runSummary // the list, when no run is open
	NextAfter string
}

func loadRun(c *Console, ec echo.Context, s *session) (any, error) {
	p := runPage{ID: ec.QueryParam("id")}
	if p.ID == "" {
		q := url.Values{"limit": {"50"}}
		if v := ec.QueryParam("after"); v != "" {
			q.Set("after", v)
		}
		var out struct {
			Runs      []runSummary `json:"runs"`
			NextAfter string       `json:"next_after"`
		}
		err := c.call(ec, s, http.MethodGet, "/v1/payout-runs?"+q.Encode(), nil, &out)
		p.Runs, p.NextAfter = out.Runs, out.NextAfter
		return p, err
	}
	var r payoutRun
	if err := c.call(ec, s, http.MethodGet, "/v1/payout-runs/"+url.PathEscape(p.ID), nil, &r); err != nil {
		return p, err
	}
	p.Run = &r
	return p, nil
}

// errAlreadyApproved refuses a second approval by the same key (four-eyes: the
// API counts it once and answers 202 again; the page says no).
var errAlreadyApproved = &apiError{Status: http.StatusConflict, Code: "approval_already_yours"}

// errNeedsSecondKey is the notice after a first four-eyes approval: recorded,
// and another finance key must approve before money moves.
var errNeedsSecondKey = &apiError{Status: http.StatusAccepted, Code: "ok_payout.approve_first"}

func approvePayout(c *Console, ec echo.Context, s *session) (string, error) {
	id := ec.Param("id")
	back := "/console/payout-runs?id=" + url.QueryEscape(ec.FormValue("run_id"))
	before, err := c.approvalsOf(ec, s, ec.FormValue("run_id"), id)
	if err != nil {
		return back, err
	}
	if slices.Contains(before, s.keyID) {
		return back, errAlreadyApproved
	}
	status, err := c.callStatus(ec, s, http.MethodPost, "/v1/payouts/"+url.PathEscape(id)+"/approve", map[string]any{}, nil)
	switch {
	case err != nil:
		return back, err
	case status == http.StatusAccepted:
		return back, errNeedsSecondKey
	}
	return back, nil
}

// approvalsOf reads the keys that approved payout id so far, from its run (the
// API's only read of a payout).
func (c *Console) approvalsOf(ec echo.Context, s *session, runID, id string) ([]string, error) {
	for after := ""; ; {
		var r payoutRun
		path := "/v1/payout-runs/" + url.PathEscape(runID) + "?limit=200&after=" + url.QueryEscape(after)
		if err := c.call(ec, s, http.MethodGet, path, nil, &r); err != nil {
			return nil, err
		}
		for _, p := range r.Payouts {
			if p.ID == id {
				return p.Approvals, nil
			}
		}
		if r.NextAfter == "" {
			return nil, nil
		}
		after = r.NextAfter
	}
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
