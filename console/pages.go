package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
)

// page is one GET screen. To add one: a template named tmpl in templates/, an
// entry in pages() with the roles that may open it (a label puts it in the nav
// for those roles), and a load that reads what it shows through c.call.
type page struct {
	path  string // under /console
	label string // nav label key; "" keeps it out of the nav
	roles []string
	tmpl  string
	load  func(c *Console, ec echo.Context, s *session) (any, error)
	// raw answers something other than a page (a CSV file); tmpl is then unused.
	raw func(c *Console, ec echo.Context, s *session) error
}

// action is one POST (a state change). It needs the session's CSRF token, its
// name must be in actionRoles, and it answers with a redirect carrying a
// notice: ok_{name}, or the API's problem code.
type action struct {
	path string
	name string
	do   func(c *Console, ec echo.Context, s *session) (back string, err error)
}

var (
	finance    = []string{"finance"}
	ops        = []string{"ops"}
	financeOps = []string{"finance", "ops"}
)

// actionRoles is who may take each action: the same roles the API admits, so
// that a button is shown only to someone whose request would be accepted.
var actionRoles = map[string][]string{
	"schedule.create":   finance,
	"schedule.pause":    finance,
	"schedule.resume":   finance,
	"schedule.trigger":  finance,
	"payout.approve":    finance,
	"recon.trigger":     finance,
	"webhook.redeliver": ops,
	"delivery.resend":   ops,
	// topup.retry_reversal re-drives a stuck top-up's reversal: money goes back
	// to the customer's account (once: the bank transfer is keyed by the top-up).
	"topup.retry_reversal": ops,
}

func pages() []page {
	return []page{
		{path: "/home", label: "nav.home", roles: financeOps, tmpl: "home", load: loadNothing},
		{path: "/payments", label: "nav.payments", roles: ops, tmpl: "payments", load: loadPayments},
		{path: "/payments/:id", roles: ops, tmpl: "payment", load: loadPayment},
		{path: "/producers", label: "nav.producers", roles: financeOps, tmpl: "producers", load: loadProducer},
		{path: "/producers/:id/statement.csv", roles: financeOps, raw: statementCSV},
		{path: "/producers/:id/settlements/:settlement_id", roles: financeOps, tmpl: "settlement", load: loadSettlement},
		{path: "/producers/:id/settlements/:settlement_id/statement.csv", roles: financeOps, raw: settlementCSV},
		{path: "/payout-schedules", label: "nav.schedules", roles: financeOps, tmpl: "schedules", load: loadSchedules},
		{path: "/payout-runs", label: "nav.runs", roles: financeOps, tmpl: "runs", load: loadRun},
		{path: "/reconciliations", label: "nav.recon", roles: financeOps, tmpl: "recons", load: loadRecons},
		{path: "/reconciliations/:id", roles: financeOps, tmpl: "recon", load: loadRecon},
		{path: "/webhook-inbox", label: "nav.inbox", roles: ops, tmpl: "inbox", load: loadInbox},
		{path: "/event-deliveries", label: "nav.deliveries", roles: ops, tmpl: "deliveries", load: loadDeliveries},
		{path: "/events", label: "nav.events", roles: ops, tmpl: "events", load: loadEvents},
		{path: "/audit", label: "nav.audit", roles: ops, tmpl: "audit", load: loadAudit},
		{path: "/queues/compensation-failed", label: "nav.compensation", roles: ops, tmpl: "compensation", load: loadCompensationFailed},
		{path: "/wallet-topups", label: "nav.topups", roles: ops, tmpl: "topups", load: loadStuckTopUps},
		{path: "/settlement-deadlines", label: "nav.deadlines", roles: financeOps, tmpl: "deadlines", load: loadDeadlines},
		// Issue 14: the payment page shows its cash receipt (template "payment");
		// a queue of receipts that failed to issue would go here (see the end of this file).
	}
}

func actions() []action {
	return []action{
		{path: "/payout-schedules", name: "schedule.create", do: createSchedule},
		{path: "/payout-schedules/:id/pause", name: "schedule.pause", do: pauseSchedule(true)},
		{path: "/payout-schedules/:id/resume", name: "schedule.resume", do: pauseSchedule(false)},
		{path: "/payout-schedules/:id/trigger", name: "schedule.trigger", do: triggerSchedule},
		{path: "/payouts/:id/approve", name: "payout.approve", do: approvePayout},
		{path: "/reconciliations", name: "recon.trigger", do: triggerRecon},
		{path: "/webhook-inbox/:id/redeliver", name: "webhook.redeliver", do: redeliverWebhook},
		{path: "/events/:id/deliveries/:endpoint_id/resend", name: "delivery.resend", do: resendDelivery},
		{path: "/wallets/:customer_id/topups/:topup_id/retry-reversal", name: "topup.retry_reversal", do: retryTopUpReversal},
	}
}

func (c *Console) servePage(p page) func(echo.Context, *session) error {
	return func(ec echo.Context, s *session) error {
		if !slices.Contains(p.roles, s.role) {
			return c.render(ec, http.StatusForbidden, "error", c.view(ec, s, "", "forbidden"))
		}
		if p.raw != nil {
			err := p.raw(c, ec, s)
			if ae := (*apiError)(nil); errors.As(err, &ae) {
				return c.apiFailed(ec, s, ae)
			}
			return err
		}
		data, err := p.load(c, ec, s)
		v := c.view(ec, s, p.path, "")
		v.Data = data
		status := http.StatusOK
		if ae := (*apiError)(nil); errors.As(err, &ae) {
			if ae.Status == http.StatusUnauthorized {
				return c.apiFailed(ec, s, ae)
			}
			v.Notice, status = ae.Code, ae.Status
		} else if err != nil {
			return err
		}
		return c.render(ec, status, p.tmpl, v)
	}
}

func (c *Console) serveAction(a action) func(echo.Context, *session) error {
	return func(ec echo.Context, s *session) error {
		if !slices.Contains(actionRoles[a.name], s.role) {
			return c.render(ec, http.StatusForbidden, "error", c.view(ec, s, "", "forbidden"))
		}
		back, err := a.do(c, ec, s)
		notice := "ok_" + a.name
		if ae := (*apiError)(nil); errors.As(err, &ae) {
			if ae.Status == http.StatusUnauthorized {
				return c.apiFailed(ec, s, ae)
			}
			notice = ae.Code
		} else if err != nil {
			return err
		}
		c.log.Info().Str("api_key_id", s.keyID).Str("action", a.name).Str("notice", notice).Msg("console action")
		return ec.Redirect(http.StatusSeeOther, withNotice(back, notice))
	}
}

// apiFailed handles a 401 from the API (the key was revoked: the session
// ends) and shows any other problem on the error page.
func (c *Console) apiFailed(ec echo.Context, s *session, ae *apiError) error {
	if ae.Status == http.StatusUnauthorized {
		_ = c.q.DeleteConsoleSession(ec.Request().Context(), s.tokenHash)
		setCookie(ec, sessionCookie, "", -1)
		return ec.Redirect(http.StatusSeeOther, "/console/sign-in?notice=session_required")
	}
	return c.render(ec, ae.Status, "error", c.view(ec, s, "", ae.Code))
}

func withNotice(path, notice string) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/console/home"
	}
	q := u.Query()
	q.Set("notice", notice)
	u.RawQuery = q.Encode()
	return u.String()
}

func loadNothing(*Console, echo.Context, *session) (any, error) { return nil, nil }

// --- ops: payments ---

type paymentSummary struct {
	ID             string    `json:"id"`
	OrderID        string    `json:"order_id"`
	CustomerID     string    `json:"customer_id"`
	Status         string    `json:"status"`
	Amount         int64     `json:"amount"`
	RefundedAmount int64     `json:"refunded_amount"`
	CreatedAt      time.Time `json:"created_at"`
}

type paymentsPage struct {
	OrderID, CustomerID, Status string
	Searched                    bool
	Payments                    []paymentSummary
}

func loadPayments(c *Console, ec echo.Context, s *session) (any, error) {
	p := paymentsPage{OrderID: ec.QueryParam("order_id"), CustomerID: ec.QueryParam("customer_id"), Status: ec.QueryParam("status")}
	if p.OrderID == "" && p.CustomerID == "" && p.Status == "" {
		return p, nil
	}
	q := url.Values{"limit": {"50"}}
	for k, v := range map[string]string{"order_id": p.OrderID, "customer_id": p.CustomerID, "status": p.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out struct {
		Data []paymentSummary `json:"data"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/payments?"+q.Encode(), nil, &out)
	p.Searched, p.Payments = true, out.Data
	return p, err
}

type paymentDetail struct {
	ID             string `json:"id"`
	OrderID        string `json:"order_id"`
	CustomerID     string `json:"customer_id"`
	Status         string `json:"status"`
	Amount         int64  `json:"amount"`
	WalletAmount   int64  `json:"wallet_amount"`
	CapturedAmount int64  `json:"captured_amount"`
	RefundedAmount int64  `json:"refunded_amount"`
	PG             string `json:"pg"`
	Failure        *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"failure"`
	Items []struct {
		ProducerID string `json:"producer_id"`
		Amount     int64  `json:"amount"`
	} `json:"items"`
	Refunds []struct {
		ID        string     `json:"id"`
		Amount    int64      `json:"amount"`
		Status    string     `json:"status"`
		Reason    string     `json:"reason"`
		CreatedAt *time.Time `json:"created_at"`
	} `json:"refunds"`
	Timeline []struct {
		Step string    `json:"step"`
		At   time.Time `json:"at"`
	} `json:"timeline"`
	Workflow struct {
		ID    string `json:"id"`
		UIURL string `json:"ui_url"`
	} `json:"workflow"`
	// CashReceipt is the payment's cash receipt (issue 14); nil: it owes none.
	CashReceipt *struct {
		Status          string  `json:"status"`
		Amount          int64   `json:"amount"`
		TaxFreeAmount   int64   `json:"tax_free_amount"`
		CancelledAmount int64   `json:"cancelled_amount"`
		Type            *string `json:"type"`
		IdentityLast4   *string `json:"identity_last4"`
		SelfIssued      bool    `json:"self_issued"`
		PG              *string `json:"pg"`
		IssueNumber     *string `json:"issue_number"`
		Attempts        int     `json:"attempts"`
	} `json:"cash_receipt"`
	CreatedAt time.Time `json:"created_at"`
}

func loadPayment(c *Console, ec echo.Context, s *session) (any, error) {
	var p paymentDetail
	err := c.call(ec, s, http.MethodGet, "/v1/payments/"+url.PathEscape(ec.Param("id")), nil, &p)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// --- ops: queues ---

type inboxItem struct {
	ID         int64     `json:"id"`
	Provider   string    `json:"provider"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	PaymentKey string    `json:"payment_key"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"received_at"`
}

func loadInbox(c *Console, ec echo.Context, s *session) (any, error) {
	var out struct {
		Data []inboxItem `json:"data"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/webhook-inbox?status=unmatched&limit=100", nil, &out)
	return out.Data, err
}

func redeliverWebhook(c *Console, ec echo.Context, s *session) (string, error) {
	return "/console/webhook-inbox", c.call(ec, s, http.MethodPost, "/v1/webhook-inbox/"+url.PathEscape(ec.Param("id"))+"/redeliver", nil, nil)
}

type deliveryItem struct {
	EventID    string    `json:"event_id"`
	EndpointID string    `json:"endpoint_id"`
	Status     string    `json:"status"`
	Attempts   int       `json:"attempts"`
	EventType  string    `json:"event_type"`
	SubjectID  string    `json:"subject_id"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// backlogItem is one endpoint's row of GET /v1/event-deliveries/backlog.
type backlogItem struct {
	EndpointID      string     `json:"endpoint_id"`
	URL             string     `json:"url"`
	Pending         int64      `json:"pending"`
	OldestPendingAt *time.Time `json:"oldest_pending_at"`
	PausedAt        *time.Time `json:"paused_at"`
}

// loadDeliveries shows what each endpoint is still owed (and whether its
// loop is paused by its breaker) above the deliveries that gave up.
func loadDeliveries(c *Console, ec echo.Context, s *session) (any, error) {
	var failed struct {
		Data []deliveryItem `json:"data"`
	}
	if err := c.call(ec, s, http.MethodGet, "/v1/event-deliveries?status=failed&limit=100", nil, &failed); err != nil {
		return nil, err
	}
	var backlog struct {
		Data []backlogItem `json:"data"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/event-deliveries/backlog", nil, &backlog)
	return struct {
		Failed  []deliveryItem
		Backlog []backlogItem
	}{failed.Data, backlog.Data}, err
}

func resendDelivery(c *Console, ec echo.Context, s *session) (string, error) {
	path := "/v1/events/" + url.PathEscape(ec.Param("id")) + "/deliveries/" + url.PathEscape(ec.Param("endpoint_id")) + "/resend"
	return "/console/event-deliveries", c.call(ec, s, http.MethodPost, path, nil, nil)
}

type eventItem struct {
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	SubjectID    string     `json:"subject_id"`
	CreatedAt    time.Time  `json:"created_at"`
	DispatchedAt *time.Time `json:"dispatched_at"`
}

func loadEvents(c *Console, ec echo.Context, s *session) (any, error) {
	q := url.Values{"limit": {"100"}}
	if v := ec.QueryParam("subject_id"); v != "" {
		q.Set("subject_id", v)
	}
	var out struct {
		Data []eventItem `json:"data"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/events?"+q.Encode(), nil, &out)
	return out.Data, err
}

// --- ops: the audit log ---

type auditEntry struct {
	ID         int64           `json:"id"`
	ActorKeyID string          `json:"actor_key_id"`
	ActorRole  string          `json:"actor_role"`
	RequestID  string          `json:"request_id"`
	Action     string          `json:"action"`
	Object     string          `json:"object"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	CreatedAt  time.Time       `json:"created_at"`
}

type auditPage struct {
	Action, Object, Actor string
	Entries               []auditEntry
	NextBefore            *int64
}

// loadAudit is one page of the audit log, newest first, filtered as asked.
func loadAudit(c *Console, ec echo.Context, s *session) (any, error) {
	p := auditPage{Action: ec.QueryParam("action"), Object: ec.QueryParam("object"), Actor: ec.QueryParam("actor_key_id")}
	q := url.Values{"limit": {"50"}}
	for k, v := range map[string]string{"action": p.Action, "object": p.Object, "actor_key_id": p.Actor, "before": ec.QueryParam("before")} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out struct {
		Entries    []auditEntry `json:"entries"`
		NextBefore *int64       `json:"next_before"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/audit?"+q.Encode(), nil, &out)
	p.Entries, p.NextBefore = out.Entries, out.NextBefore
	return p, err
}

// --- queues that need a person ---

// loadCompensationFailed is the queue of failed payments whose undo (void,
// cancel) failed too: money may still be held at the PG. Each links to the
// payment, its timeline and its workflow in the Temporal UI.
func loadCompensationFailed(c *Console, ec echo.Context, s *session) (any, error) {
	var out struct {
		Data []paymentSummary `json:"data"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/payments?step=compensation_failed&limit=100", nil, &out)
	return out.Data, err
}

type atRiskEntry struct {
	ProducerID   string    `json:"producer_id"`
	PaymentID    string    `json:"payment_id"`
	OrderID      string    `json:"order_id"`
	Net          int64     `json:"net"`
	ConfirmedAt  time.Time `json:"confirmed_at"`
	DueAt        time.Time `json:"due_at"`
	Overdue      bool      `json:"overdue"`
	PayoutID     string    `json:"payout_id"`
	PayoutStatus string    `json:"payout_status"`
}

// loadDeadlines is the queue of confirmed sales due within 48 hours (or
// overdue) that no paid payout settled yet.
func loadDeadlines(c *Console, ec echo.Context, s *session) (any, error) {
	var out struct {
		WindowHours int           `json:"window_hours"`
		Entries     []atRiskEntry `json:"entries"`
	}
	err := c.call(ec, s, http.MethodGet, "/v1/settlement-deadlines?limit=100", nil, &out)
	return out.Entries, err
}

// Receipts that failed to issue (issue 14) become a queue here: a page
// {path: "/receipts", label: "nav.receipts", roles: ops, tmpl: "receipts"}
// whose load reads the receipts API's failed ones, and a re-issue action in
// actions()/actionRoles. Not built: there is no receipts listing API yet;
// ops find them in Temporal (CashReceipt = 'pending' or 'failed') and on
// each payment's page.

type stuckTopUp struct {
	ID             string    `json:"id"`
	CustomerID     string    `json:"customer_id"`
	Amount         int64     `json:"amount"`
	CreatedAt      time.Time `json:"created_at"`
	WorkflowID     string    `json:"workflow_id"`
	WorkflowStatus string    `json:"workflow_status"`
}

// loadStuckTopUps is the queue of top-ups still processing after 5 minutes;
// those whose workflow ended can have their reversal retried.
func loadStuckTopUps(c *Console, ec echo.Context, s *session) (any, error) {
	var out struct {
		Data []stuckTopUp `json:"data"`
	}
	q := url.Values{"limit": {"100"}}
	if v := ec.QueryParam("older_than"); v != "" {
		q.Set("older_than", v) // seconds; the API's default is 5 minutes
	}
	err := c.call(ec, s, http.MethodGet, "/v1/wallet-topups/stuck?"+q.Encode(), nil, &out)
	return out.Data, err
}

func retryTopUpReversal(c *Console, ec echo.Context, s *session) (string, error) {
	path := "/v1/wallets/" + url.PathEscape(ec.Param("customer_id")) + "/topups/" + url.PathEscape(ec.Param("topup_id")) + "/retry-reversal"
	return "/console/wallet-topups", c.call(ec, s, http.MethodPost, path, nil, nil)
}
