package e2e

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
)

// chromiumPath is Debian's chromium, which `make test` installs
// (scripts/apt-install.sh); no test downloads a browser.
const chromiumPath = "/usr/bin/chromium"

// screenshotsEnv names a folder for the console's screenshots (docs/console
// holds the committed ones); without it they go to the test's temp dir.
const screenshotsEnv = "PAYSAGA_CONSOLE_SCREENSHOTS"

// chrome is one headless Chromium with a fresh profile, on loopback only.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	axe   string
}

func newChrome(t *testing.T, base string) *chrome {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: make test installs it (scripts/apt-install.sh chromium)", chromiumPath)
		}
		t.Skipf("%s is missing: run make test, or scripts/apt-install.sh chromium", chromiumPath)
	}
	axe, err := os.ReadFile("a11y/node_modules/axe-core/axe.min.js")
	require.NoError(t, err, "axe-core is missing: make test runs npm ci in e2e/a11y")
	// The profile is removed after the browser is gone (its helper processes can
	// still be writing when the context is cancelled, which t.TempDir would fail on).
	profile, err := os.MkdirTemp("", "paysaga-chromium-")
	require.NoError(t, err)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "ko-KR"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		for range 10 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	require.NoError(t, chromedp.Run(ctx))
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))
	return &chrome{t: t, ctx: ctx, base: base, shots: shots, axe: string(axe)}
}

// tab is another tab of the same browser (same cookies). close closes it and
// brings c's tab to the front: a background tab may not paint, so a
// screenshot of it can wait forever.
func (c *chrome) tab() (other *chrome, close func()) {
	ctx, cancel := chromedp.NewContext(c.ctx)
	c.t.Cleanup(cancel)
	require.NoError(c.t, chromedp.Run(ctx))
	g := *c
	g.ctx = ctx
	return &g, func() {
		cancel()
		c.run(cdppage.BringToFront())
	}
}

func (c *chrome) run(actions ...chromedp.Action) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	require.NoError(c.t, chromedp.Run(ctx, actions...))
}

func (c *chrome) open(path string) { c.t.Helper(); c.run(chromedp.Navigate(c.base + path)) }

// submit clicks a button that sends a form and waits for the page it leads
// to, known by an element (by default the notice every action answers with).
func (c *chrome) submit(sel string, waitFor ...string) {
	c.t.Helper()
	w := "#notice"
	if len(waitFor) > 0 {
		w = waitFor[0]
	}
	c.run(chromedp.Click(sel, chromedp.ByQuery), chromedp.WaitVisible(w, chromedp.ByQuery))
}

// notice is the code of the page's notice ("" when it shows none).
func (c *chrome) notice() string {
	c.t.Helper()
	var code string
	c.run(chromedp.WaitReady("main", chromedp.ByQuery),
		chromedp.Evaluate(`(document.querySelector("#notice") || {dataset: {}}).dataset.code || ""`, &code))
	return code
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	var s string
	c.run(chromedp.Text(sel, &s, chromedp.ByQuery))
	return strings.TrimSpace(s)
}

func (c *chrome) exists(sel string) bool {
	c.t.Helper()
	return c.count(sel) > 0
}

func (c *chrome) count(sel string) int {
	c.t.Helper()
	var n int
	c.run(chromedp.Evaluate(fmt.Sprintf("document.querySelectorAll(%q).length", sel), &n))
	return n
}

func (c *chrome) shot(name string) {
	c.t.Helper()
	var png []byte
	c.run(chromedp.FullScreenshot(&png, 100))
	require.NoError(c.t, os.WriteFile(filepath.Join(c.shots, name+".png"), png, 0o644))
}

// accessible runs axe-core (WCAG 2 A and AA: labels, names, contrast...) on
// the page and fails on any violation.
func (c *chrome) accessible() {
	c.t.Helper()
	var res struct {
		Violations []struct {
			ID    string `json:"id"`
			Help  string `json:"help"`
			Nodes []struct {
				Target []string `json:"target"`
			} `json:"nodes"`
		} `json:"violations"`
	}
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	var url string
	c.run(chromedp.Location(&url), chromedp.Evaluate(c.axe, nil),
		chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}})`, &res, await))
	for _, v := range res.Violations {
		c.t.Errorf("%s: axe %s (%s) at %v", url, v.ID, v.Help, v.Nodes)
	}
}

func (c *chrome) signIn(key string) {
	c.t.Helper()
	c.open("/console/sign-in")
	c.run(chromedp.SendKeys("#api_key", key, chromedp.ByQuery))
	c.submit("#sign-in", ".role, #notice")
}

// Finance in the browser: trigger a payout run, approve the payout over the
// four-eyes threshold (the same key approving again, from another tab, is
// refused; a second finance key releases it), list producers and runs, and
// download the statement and the period's settlement CSV, whose totals match
// the API; ops then reads both approvals in the audit log.
func TestConsoleFinanceRunsApprovesAndDownloads(t *testing.T) {
	f := newPayoutFixture(t, func(c *config.Config) { c.FourEyesThreshold = 100_000 })
	const financeKey2 = "e2e-console-finance-key-2"
	require.NoError(t, api.EnsureAPIKey(f.ctx, db.New(f.pool), "finance", "e2e console finance 2", financeKey2))
	f.producer("a", "1100000001")
	f.producer("b", "1100000002")
	f.sale(map[string]int64{"a": 200000, "b": 30000})
	f.sale(map[string]int64{"a": 15000})
	sched := f.schedule(100000) // a's payout needs approval (by two keys: four-eyes), b's does not
	defer f.deleteSchedule(sched)

	c := newChrome(t, f.url)
	c.signIn(financeKey)
	require.Equal(t, "finance", c.text(".role strong"))
	c.shot("finance-home")
	c.accessible()

	c.open("/console/payout-schedules")
	c.accessible()
	time.Sleep(1100 * time.Millisecond) // the run's cut-off is its start, to the second: the sales come before it
	c.submit("#schedule-" + sched + " button.trigger")
	require.Equal(t, "ok_schedule.trigger", c.notice())

	// The run shows up under the schedule; follow it and wait for a's payout to wait for approval.
	require.Eventually(t, func() bool {
		c.open("/console/payout-schedules")
		return c.exists("#schedule-" + sched + " a")
	}, 20*time.Second, 300*time.Millisecond)
	c.shot("finance-schedules")
	c.run(chromedp.Click("#schedule-"+sched+" a", chromedp.ByQuery), chromedp.WaitVisible("#run-status", chromedp.ByQuery))
	var runURL string
	c.run(chromedp.Location(&runURL))
	u, err := url.Parse(runURL)
	require.NoError(t, err)
	runID := u.Query().Get("id")
	rowA, rowB := "#payout-"+f.id("a"), "#payout-"+f.id("b")
	require.Eventually(t, func() bool {
		c.run(chromedp.Navigate(runURL))
		return c.exists(rowA+" button.approve") && c.exists(rowB) && c.text(rowB+" .payout-status") == "paid"
	}, 30*time.Second, 300*time.Millisecond)
	require.Equal(t, "awaiting_approval", c.text(rowA+" .payout-status"))
	require.Contains(t, c.text(rowA), "207,905원", "215,000 less the 3% commission (6,450) and its VAT (645), in won with separators")
	c.shot("finance-payout-run")
	c.accessible()

	// A second tab holds the same page, with its approve button, before the approval.
	other, closeOther := c.tab()
	other.run(chromedp.Navigate(runURL), chromedp.WaitVisible(rowA+" button.approve", chromedp.ByQuery))

	c.submit(rowA + " button.approve")
	require.Equal(t, "ok_payout.approve_first", c.notice(), "above the four-eyes threshold one key is not enough")
	require.Equal(t, "awaiting_approval", c.text(rowA+" .payout-status"))
	require.NotEmpty(t, c.text(rowA+" .approvals"), "the page shows who approved so far")
	require.False(t, c.exists(rowA+" button.approve"), "the page offers the key that approved no second approval")
	other.submit(rowA + " button.approve")
	require.Equal(t, "approval_already_yours", other.notice(), "the same key does not approve twice (a page opened before)")
	other.shot("finance-four-eyes")
	other.accessible()
	closeOther()
	time.Sleep(time.Second) // a release would have sent the transfer by now
	require.Len(t, f.transfers(), 1, "only b's payout (under the threshold) is paid: one key cannot release a's")

	// A second finance key releases it.
	c.signIn(financeKey2)
	c.run(chromedp.Navigate(runURL), chromedp.WaitVisible(rowA+" button.approve", chromedp.ByQuery))
	c.submit(rowA + " button.approve")
	require.Equal(t, "ok_payout.approve", c.notice())
	require.Eventually(t, func() bool {
		for key, amount := range f.transfers() {
			if strings.HasPrefix(key, "payout:"+f.id("a")+":") && amount == 207905 {
				return true
			}
		}
		return false
	}, 30*time.Second, 300*time.Millisecond, "the payout approved by two keys is transferred")
	require.Len(t, f.transfers(), 2, "one transfer per producer")
	payoutA := payouts(f.call("GET", "/v1/payout-runs/"+runID, financeKey, nil, nil).json(t))[f.id("a")]["id"].(string)
	require.Eventually(t, func() bool {
		c.run(chromedp.Navigate(runURL))
		return c.text(rowA+" .payout-status") == "paid"
	}, 30*time.Second, 300*time.Millisecond)

	// The lists: every producer (with holds) and every run, as the API lists them.
	c.open("/console/producers")
	require.True(t, c.exists("#producer-"+f.id("a")) && c.exists("#producer-"+f.id("b")))
	listed := f.call("GET", "/v1/producers?limit=200", financeKey, nil, nil)
	require.Equal(t, 200, listed.Status, "%s", listed.Body)
	require.Contains(t, string(listed.Body), f.id("a"))
	c.shot("finance-producers")
	c.accessible()
	c.open("/console/payout-runs")
	runs := f.call("GET", "/v1/payout-runs?schedule_id="+sched, financeKey, nil, nil).json(t)["runs"].([]any)
	require.Len(t, runs, 1)
	require.Equal(t, runID, runs[0].(map[string]any)["id"])
	require.Contains(t, c.text("#runs"), runID)
	c.shot("finance-payout-runs")
	c.accessible()

	// The statement: page and CSV agree with the API, line by line and in total.
	c.open("/console/producers?id=" + f.id("a"))
	c.shot("finance-producer")
	c.accessible()
	rows := c.downloadCSV("#statement-csv")
	api := f.call("GET", "/v1/producers/"+f.id("a")+"/statements?limit=200", financeKey, nil, nil).json(t)["lines"].([]any)
	require.Len(t, rows, 1+len(api)+1, "header, one row per API line, total")
	var apiSum, csvSum int64
	for i, l := range api {
		amount := int64(l.(map[string]any)["amount"].(float64))
		apiSum += amount
		got, err := strconv.ParseInt(rows[1+i][3], 10, 64)
		require.NoError(t, err)
		require.Equal(t, amount, got, "line %d", i)
		csvSum += got
	}
	total := rows[len(rows)-1]
	require.Equal(t, "total", total[0])
	require.Equal(t, strconv.FormatInt(apiSum, 10), total[3])
	require.Equal(t, apiSum, csvSum)
	require.Equal(t, strings.TrimSuffix(c.text("#statement-total"), "원"), formatWon(apiSum))

	// The period's settlement statement: its CSV's total is the API's net paid.
	c.run(chromedp.Click("#settlements a.settlement", chromedp.ByQuery), chromedp.WaitVisible("#net-paid", chromedp.ByQuery))
	st := f.call("GET", "/v1/producers/"+f.id("a")+"/settlements/"+payoutA, financeKey, nil, nil).json(t)
	require.Equal(t, float64(207905), st["net_paid"])
	require.Equal(t, "207,905원", c.text("#net-paid"))
	c.shot("finance-settlement")
	c.accessible()
	rows = c.downloadCSV("#settlement-csv")
	lines := st["lines"].([]any)
	require.Len(t, rows, 1+len(lines)+2, "header, one row per API line, carried over, total")
	var net int64
	for _, r := range rows[1 : 1+len(lines)] {
		n, err := strconv.ParseInt(r[9], 10, 64)
		require.NoError(t, err)
		net += n
	}
	total = rows[len(rows)-1]
	require.Equal(t, []string{payoutA, "total"}, total[:2])
	require.Equal(t, "207905", total[9], "the CSV's total is the payout")
	carried, err := strconv.ParseInt(rows[len(rows)-2][9], 10, 64)
	require.NoError(t, err)
	require.Equal(t, int64(207905), net+carried, "lines and carry-over add up to the total")

	// Ops reads both approvals in the audit log, one per key.
	c.signIn(opsKey)
	c.open("/console/audit?action=payout.approved&object=payout:" + payoutA)
	require.Equal(t, 2, c.count("#audit tbody tr"), "one audit row per approving key")
	require.Equal(t, 2, f.auditRows("payout.approved", "payout:"+payoutA))
	c.shot("ops-audit")
	c.accessible()
}

// temporalUIStandIn answers on the Temporal UI's address (localhost:8233) and
// reports each path asked for; where a real UI holds the port already (make
// dev), the test cannot run.
func temporalUIStandIn(t *testing.T) <-chan string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:8233")
	if err != nil {
		t.Skipf("the Temporal UI's port is taken (%v): stop make dev to run this test", err)
	}
	asked := make(chan string, 10)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- r.URL.Path:
		default:
		}
		_, _ = io.WriteString(w, `<!DOCTYPE html><html lang="en"><title>Temporal UI stand-in</title><p id="standin">workflow</p></html>`)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return asked
}

func formatWon(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// downloadCSV clicks a download link and parses the file the browser saved.
func (c *chrome) downloadCSV(sel string) [][]string {
	c.t.Helper()
	dir := c.t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenTarget(c.ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	c.run(browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Click(sel, chromedp.ByQuery))
	var guid string
	select {
	case guid = <-done:
	case <-time.After(20 * time.Second):
		c.t.Fatal("the CSV download did not complete")
	}
	b, err := os.ReadFile(filepath.Join(dir, guid))
	require.NoError(c.t, err)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
	require.NoError(c.t, err)
	return rows
}

// Ops in the browser: find a payment by its order id, read it, and follow its
// link into the Temporal UI; an app key is refused at sign-in.
func TestConsoleOpsFindsAPaymentAndAppKeyIsRefused(t *testing.T) {
	s := newStack(t)
	cus, method := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	res := s.checkout(checkoutBody(cus, method, order))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	paymentID := res.json(t)["id"].(string)

	c := newChrome(t, s.url)
	c.signIn(appKey)
	require.Equal(t, "role_refused", c.notice())
	var loc string
	c.run(chromedp.Location(&loc))
	require.True(t, strings.HasSuffix(loc, "/console/sign-in"), loc)
	c.shot("sign-in-refused")
	c.accessible()

	c.signIn(opsKey)
	require.Equal(t, "ops", c.text(".role strong"))
	c.open("/console/payments")
	c.accessible()
	c.run(chromedp.SendKeys("#order_id", order, chromedp.ByQuery))
	c.submit("#search", "#payments")
	require.Contains(t, c.text("#payments"), paymentID)
	c.shot("ops-payments")
	c.run(chromedp.Click("#payments a", chromedp.ByQuery), chromedp.WaitVisible("#temporal-link", chromedp.ByQuery))
	require.Equal(t, order, c.text("#order"))
	require.Equal(t, "succeeded", c.text("#payment-status"))
	require.Equal(t, "15,000원", c.text("#amount"))
	require.Contains(t, c.text("#timeline"), "KST")
	c.shot("ops-payment")
	c.accessible()

	var href string
	var ok bool
	c.run(chromedp.AttributeValue("#temporal-link", "href", &href, &ok, chromedp.ByQuery))
	wfID := "checkout-" + order
	require.Equal(t, "http://localhost:8233/namespaces/default/workflows/"+wfID, href)
	_, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, wfID, "")
	require.NoError(t, err, "the link names the payment's workflow")
	// Following it opens the Temporal UI at the workflow: the test stack has no
	// UI, so a stand-in on the UI's address records what the browser asked for.
	asked := temporalUIStandIn(t)
	c.run(chromedp.Click("#temporal-link", chromedp.ByQuery), chromedp.WaitVisible("#standin", chromedp.ByQuery), chromedp.Location(&loc))
	require.Equal(t, href, loc)
	require.Equal(t, "/namespaces/default/workflows/"+wfID, <-asked)

	for _, p := range []string{"/console/webhook-inbox", "/console/event-deliveries", "/console/events", "/console/reconciliations",
		"/console/queues/compensation-failed", "/console/wallet-topups", "/console/settlement-deadlines", "/console/producers", "/console/payout-runs", "/console/audit"} {
		c.open(p)
		require.Empty(t, c.notice(), p)
		c.accessible()
	}
	c.open("/console/events")
	c.shot("ops-events")
	c.open("/console/wallet-topups")
	c.shot("ops-stuck-topups")
	c.open("/console/home?lang=en")
	c.shot("ops-home-en")
	require.Contains(t, c.text("nav"), "Payments")
}
