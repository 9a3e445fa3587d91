package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/providersim"
)

// browserless is a console visitor without a browser: a cookie jar and no
// redirect following, so each answer is seen as sent.
type browserless struct {
	t      *testing.T
	s      *stack
	client *http.Client
}

func (s *stack) visitor() *browserless {
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	return &browserless{t: s.t, s: s, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func (b *browserless) get(path string) page {
	b.t.Helper()
	res, err := b.client.Get(b.s.url + path)
	require.NoError(b.t, err)
	return readPage(b.t, res)
}

func (b *browserless) post(path string, form url.Values, header map[string]string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.url+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	require.NoError(b.t, err)
	return readPage(b.t, res)
}

func readPage(t *testing.T, res *http.Response) page {
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return page{Status: res.StatusCode, Header: res.Header, Body: string(body), Location: res.Header.Get("Location")}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(p.Body)
	require.NotNil(t, m, "no CSRF token on the page: %s", p.Body)
	return m[1]
}

// signIn submits the sign-in form with key and returns the answer.
func (b *browserless) signIn(key string) page {
	b.t.Helper()
	form := b.get("/console/sign-in")
	require.Equal(b.t, 200, form.Status)
	return b.post("/console/sign-in", url.Values{"csrf": {csrfOf(b.t, form)}, "api_key": {key}}, nil)
}

func (s *stack) consoleSessions() int { return s.rows("SELECT count(*) FROM console_sessions") }

// Sign-in admits finance and ops keys only, with a CSRF token, and hands out
// an HttpOnly, SameSite=Strict cookie; every page carries strict headers and
// no script.
func TestConsoleSignInIsForFinanceAndOpsOnly(t *testing.T) {
	s := newStack(t)

	app := s.visitor()
	res := app.signIn(appKey)
	require.Equal(t, 403, res.Status)
	require.Contains(t, res.Body, `data-code="role_refused"`)
	require.Equal(t, 0, s.consoleSessions(), "an app key gets no session")
	require.Equal(t, 303, app.get("/console/home").Status, "and no page")

	res = s.visitor().signIn("sk_not_a_key")
	require.Equal(t, 401, res.Status)
	noToken := s.visitor()
	noToken.get("/console/sign-in")
	res = noToken.post("/console/sign-in", url.Values{"api_key": {financeKey}}, nil)
	require.Equal(t, 403, res.Status, "sign-in without its CSRF token")
	require.Equal(t, 0, s.consoleSessions())

	fin := s.visitor()
	res = fin.signIn(financeKey)
	require.Equal(t, 303, res.Status, res.Body)
	require.Equal(t, "/console/home", res.Location)
	cookie := res.Header.Get("Set-Cookie")
	for _, attr := range []string{"paysaga_console=", "HttpOnly", "SameSite=Strict", "Path=/console"} {
		require.Contains(t, strings.Join(res.Header.Values("Set-Cookie"), "\n"), attr, cookie)
	}
	require.Equal(t, 1, s.consoleSessions())
	var stored int
	require.NoError(t, s.pool.QueryRow(s.ctx, "SELECT count(*) FROM console_sessions WHERE position($1::bytea in key_sealed) > 0", []byte(financeKey)).Scan(&stored))
	require.Zero(t, stored, "the key is stored sealed, never in clear")

	home := fin.get("/console/home")
	require.Equal(t, 200, home.Status)
	csp := home.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	require.NotContains(t, csp, "unsafe-inline")
	require.Equal(t, "DENY", home.Header.Get("X-Frame-Options"))
	require.Equal(t, "nosniff", home.Header.Get("X-Content-Type-Options"))
	for _, path := range []string{"/console/home", "/console/payout-schedules", "/console/producers", "/console/reconciliations", "/console/payout-runs"} {
		p := fin.get(path)
		require.Equal(t, 200, p.Status, path)
		require.NotContains(t, strings.ToLower(p.Body), "<script", path)
	}
	require.Equal(t, 403, fin.get("/console/payments").Status, "ops pages are not finance's")
	require.NotContains(t, home.Body, `href="/console/payments"`, "and not in finance's nav")

	// Signing out ends the session in PostgreSQL, not only in the browser.
	res = fin.post("/console/sign-out", url.Values{"csrf": {csrfOf(t, home)}}, nil)
	require.Equal(t, 303, res.Status)
	require.Equal(t, 0, s.consoleSessions())
	require.Equal(t, 303, fin.get("/console/home").Status)
}

// No console action reaches the API without a live session and its CSRF
// token, from the console's own origin; an idle session ends.
func TestConsoleActionsNeedSessionAndCSRF(t *testing.T) {
	s := newStack(t)
	fin := s.visitor()
	require.Equal(t, 303, fin.signIn(financeKey).Status)
	token := csrfOf(t, fin.get("/console/payout-schedules"))
	schedule := func(id string) url.Values {
		return url.Values{"id": {id}, "cron": {"0 10 1 1 *"}, "cycle": {"daily"}, "approval_threshold": {"100000"}}
	}
	exists := func(id string) bool {
		return s.call("GET", "/v1/payout-schedules/"+id, financeKey, nil, nil).Status == 200
	}
	prefix := "c" + strings.ReplaceAll(orderID(), "o-", "")

	// Without the token, with a wrong one, from another origin, or without a session: refused, nothing created.
	res := fin.post("/console/payout-schedules", schedule(prefix+"-none"), nil)
	require.Equal(t, 403, res.Status)
	require.Contains(t, res.Body, `data-code="csrf_failed"`)
	bad := schedule(prefix + "-wrong")
	bad.Set("csrf", token+"x")
	require.Equal(t, 403, fin.post("/console/payout-schedules", bad, nil).Status)
	cross := schedule(prefix + "-cross")
	cross.Set("csrf", token)
	require.Equal(t, 403, fin.post("/console/payout-schedules", cross, map[string]string{"Origin": "https://evil.example"}).Status)
	stranger := schedule(prefix + "-stranger")
	stranger.Set("csrf", token)
	require.Equal(t, 401, s.visitor().post("/console/payout-schedules", stranger, nil).Status)
	for _, id := range []string{"-none", "-wrong", "-cross", "-stranger"} {
		require.False(t, exists(prefix+id), "refused %s created a schedule", id)
	}

	// With both: created through the API, and the page says so.
	good := schedule(prefix + "-ok")
	good.Set("csrf", token)
	res = fin.post("/console/payout-schedules", good, nil)
	require.Equal(t, 303, res.Status, res.Body)
	require.Contains(t, res.Location, "notice=ok_schedule.create")
	require.True(t, exists(prefix+"-ok"))

	// ops sees the schedule but no button, and a forged trigger is refused by role.
	ops := s.visitor()
	require.Equal(t, 303, ops.signIn(opsKey).Status)
	list := ops.get("/console/payout-schedules")
	require.Equal(t, 200, list.Status)
	require.Contains(t, list.Body, prefix+"-ok")
	require.NotContains(t, list.Body, "/trigger")
	res = ops.post("/console/payout-schedules/"+prefix+"-ok/trigger", url.Values{"csrf": {csrfOf(t, list)}}, nil)
	require.Equal(t, 403, res.Status)
	runs := s.call("GET", "/v1/payout-schedules/"+prefix+"-ok", financeKey, nil, nil).json(t)["recent_runs"].([]any)
	require.Empty(t, runs, "nothing was triggered")

	// A session idle past the timeout is over, for every replica (PostgreSQL says so).
	_, err := s.pool.Exec(s.ctx, "UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes'")
	require.NoError(t, err)
	require.Equal(t, 303, fin.get("/console/payout-schedules").Status)
	res = fin.post("/console/payout-schedules/"+prefix+"-ok/pause", url.Values{"csrf": {token}}, nil)
	require.Equal(t, 401, res.Status)
	require.False(t, s.call("GET", "/v1/payout-schedules/"+prefix+"-ok", financeKey, nil, nil).json(t)["paused"].(bool))
	require.Equal(t, 204, s.call("DELETE", "/v1/payout-schedules/"+prefix+"-ok", financeKey, nil, nil).Status)
}

// The settlements-at-risk queue lists the confirmed sales not yet paid that
// are due within 48 hours (and the overdue ones first), nothing due later, and
// the console shows the same to finance.
func TestSettlementDeadlineQueue(t *testing.T) {
	f := newPayoutFixture(t)
	f.producer("a", "1100000001")
	soon := f.sale(map[string]int64{"a": 10000})
	late := f.sale(map[string]int64{"a": 20000})
	later := f.sale(map[string]int64{"a": 30000})
	// Time passes: the sales' due dates come near (one is past).
	for id, due := range map[string]string{soon: "now() + interval '3 hours'", late: "now() - interval '1 hour'", later: "now() + interval '10 days'"} {
		_, err := f.pool.Exec(f.ctx, "UPDATE settlement_entries SET due_at = "+due+" WHERE payment_id = $1", id)
		require.NoError(t, err)
	}
	res := f.call("GET", "/v1/settlement-deadlines?limit=100", financeKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	byPayment := map[string]map[string]any{}
	for _, e := range res.json(t)["entries"].([]any) {
		m := e.(map[string]any)
		if m["producer_id"] == f.id("a") {
			byPayment[m["payment_id"].(string)] = m
		}
	}
	require.Len(t, byPayment, 2, "the sale due in 10 days is not at risk")
	require.Equal(t, true, byPayment[late]["overdue"])
	require.Equal(t, false, byPayment[soon]["overdue"])
	require.EqualValues(t, 9670, byPayment[soon]["net"], "10,000 less the 3% commission and its VAT")

	fin := f.visitor()
	require.Equal(t, 303, fin.signIn(financeKey).Status)
	page := fin.get("/console/settlement-deadlines")
	require.Equal(t, 200, page.Status)
	require.Contains(t, page.Body, byPayment[late]["order_id"].(string))
	require.Contains(t, page.Body, byPayment[soon]["order_id"].(string))
	require.NotContains(t, page.Body, later)
}

// A top-up whose reversal failed for good is stuck (processing, its workflow
// ended, the debit with us). Ops find it in the queue and retry the reversal:
// the money goes back once, however often the retry is asked for, and the
// top-up reads reversed.
func TestStuckTopUpReversalRetry(t *testing.T) {
	s := newStack(t)
	customerID, methodID := s.walletCustomer(1_000_000)
	s.verify(customerID)
	// The bank takes the debit but never answers it, cannot be asked about it
	// while the top-up tries, and then refuses the transfer back.
	for _, f := range []providersim.Fault{
		{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeTimeoutAfterCommit},
		{Provider: "bank", Op: providersim.OpQuery, Mode: providersim.ModeError, Status: 503, Count: 6},
		{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeError, Status: 400},
	} {
		require.NoError(t, s.sim.SetFault(s.ctx, f))
	}
	res := s.topUp(customerID, methodID, 50_000)
	require.Contains(t, []int{201, 202, 500, 503}, res.Status, "%s", res.Body)
	var topUpID string
	require.NoError(t, s.pool.QueryRow(s.ctx, "SELECT id FROM wallet_topups WHERE customer_id = $1", customerID).Scan(&topUpID))
	require.Eventually(t, func() bool {
		d, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, "topup-"+topUpID, "")
		return err == nil && d.WorkflowExecutionInfo.CloseTime != nil
	}, 60*time.Second, 200*time.Millisecond, "the top-up's workflow gives up")
	n, amount := s.bankDebits()
	require.Equal(t, 1, n)
	require.Equal(t, int64(50_000), amount)
	getTopUp := func() map[string]any {
		res := s.call("GET", "/v1/wallets/"+customerID+"/topups/"+topUpID, opsKey, nil, nil)
		require.Equal(t, 200, res.Status, "%s", res.Body)
		return res.json(t)
	}
	require.Equal(t, "processing", getTopUp()["status"], "stuck: taken, neither credited nor given back")

	queue := s.call("GET", "/v1/wallet-topups/stuck?older_than=0&limit=100", opsKey, nil, nil)
	require.Equal(t, 200, queue.Status, "%s", queue.Body)
	require.Contains(t, string(queue.Body), `"id":"`+topUpID+`","customer_id"`)
	require.Contains(t, string(queue.Body), `"workflow_status":"failed"`)
	ops := s.visitor()
	require.Equal(t, 303, ops.signIn(opsKey).Status)
	page := ops.get("/console/wallet-topups?older_than=0")
	require.Equal(t, 200, page.Status)
	require.Contains(t, page.Body, "/console/wallets/"+customerID+"/topups/"+topUpID+"/retry-reversal")

	// The bank still refuses: the retry fails, nothing moves, the top-up stays stuck.
	path := "/v1/wallets/" + customerID + "/topups/" + topUpID + "/retry-reversal"
	require.Equal(t, 403, s.call("POST", path, appKey, nil, nil).Status, "ops only")
	res = s.call("POST", path, opsKey, nil, nil)
	require.Equal(t, 202, res.Status, "%s", res.Body)
	wfID := res.json(t)["workflow_id"].(string)
	require.Eventually(t, func() bool {
		d, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, wfID, "")
		return err == nil && d.WorkflowExecutionInfo.CloseTime != nil
	}, 30*time.Second, 200*time.Millisecond)
	require.Equal(t, "processing", getTopUp()["status"])

	// The bank is fixed; ops retry from the console, twice (a double click).
	require.NoError(t, s.sim.ClearFaults(s.ctx))
	started := 1
	for range 2 {
		page = ops.get("/console/wallet-topups?older_than=0")
		res := ops.post("/console/wallets/"+customerID+"/topups/"+topUpID+"/retry-reversal", url.Values{"csrf": {csrfOf(t, page)}}, nil)
		require.Equal(t, 303, res.Status)
		if strings.Contains(res.Location, "notice=ok_topup.retry_reversal") {
			started++
		} else {
			require.Contains(t, res.Location, "notice=topup_not_stuck", "the second click finds it reversed")
		}
	}
	require.Eventually(t, func() bool { return getTopUp()["status"] == "reversed" }, 30*time.Second, 200*time.Millisecond)
	recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "bank", Kind: "transfer"})
	require.NoError(t, err)
	require.Len(t, recs, 1, "the debit went back once")
	require.Equal(t, int64(50_000), recs[0].Amount)
	require.Equal(t, "topup:"+topUpID+":reverse", recs[0].IdempotencyKey)
	require.Zero(t, s.walletBalance(customerID))
	res = s.call("POST", path, opsKey, nil, nil)
	require.Equal(t, 409, res.Status, "%s", res.Body)
	require.Equal(t, "topup_not_stuck", res.json(t)["code"])
	require.Equal(t, started, s.auditRows("topup.reversal_retried", "topup:"+topUpID), "one audit row per retry accepted")
}
