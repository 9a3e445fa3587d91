package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/bench"
	apiclient "github.com/paysaga/paysaga/client"
	"github.com/paysaga/paysaga/workflows"
)

// providerCounter counts the provider calls the sandbox serves (PGs in their
// own wire protocols, bank, identity; not its admin API nor the client SDK's
// tokenize).
type providerCounter struct{ n atomic.Int64 }

func (p *providerCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if !strings.HasPrefix(path, "/admin/") && !strings.HasPrefix(path, "/sdk/") && path != "/healthz" {
			p.n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// explainer measures what one checkout costs, per kind, in sequential runs.
type explainer struct {
	d        *driver
	w        walletShopper
	dbc      *bench.DBCounter
	sim      *providerCounter
	temporal client.Client
	quiet    *pgxpool.Pool // an untraced pool for waiting on the outbox
	n        int
}

type explained struct {
	kind                                    string
	roundTrips, transactions, providerCalls float64
	workflowTransactions                    float64 // run by the workflows' activities
	localActivities, activities, histEvents float64
	deliverWorkflows, loopEvents            float64
	db                                      bench.DBCounts
}

// deliveryWorkflows are the workflow types that deliver events: the
// per-event one (before issue 19) and the per-endpoint loop.
const deliveryWorkflows = "WorkflowType IN ('DeliverEvent', 'EndpointDelivery')"

// explain prints, per checkout kind, the mean PostgreSQL round trips and
// transactions (the pool's own tracer, idle relay polls excluded), provider
// calls (served by the sandbox), local and regular activities and history
// events of the checkout workflow, and the delivery workflows it started.
// The last row repeats the card checkout with a webhook endpoint subscribed:
// its deliveries go through the endpoint's one loop, so deliverWF stays ~0
// and loopHist is what each checkout's event adds to the loop's history.
func (e *explainer) explain(ctx context.Context) error {
	if err := e.fundWallet(ctx); err != nil {
		return err
	}
	kinds := []struct {
		name     string
		customer func() (string, string)
		wallet   int64
	}{
		{"card", func() (string, string) { return e.d.customer, e.d.methodID }, 0},
		{"split", func() (string, string) { return e.w.customer, e.w.card }, 5000},
		{"wallet", func() (string, string) { return e.w.customer, "" }, 15000},
	}
	var rows []explained
	for _, k := range kinds {
		customer, method := k.customer()
		r, err := e.measure(ctx, k.name, customer, method, k.wallet, "")
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	endpoint, stop, err := e.subscribe(ctx)
	if err != nil {
		return err
	}
	defer stop()
	r, err := e.measure(ctx, "card-hook", e.d.customer, e.d.methodID, 0, endpoint)
	if err != nil {
		return err
	}
	rows = append(rows, r)
	fmt.Printf("explain: per checkout, mean of %d sequential (relay on; card-hook: one webhook endpoint subscribed; idle relay polls excluded)\n", e.n)
	fmt.Printf("%-9s %11s %13s %11s %9s %9s %10s %8s %9s %8s\n", "kind", "pg_roundtr", "pg_transact", "wf_transact", "provider", "local_act", "activities", "history", "deliverWF", "loopHist")
	for _, r := range rows {
		fmt.Printf("%-9s %11.1f %13.1f %11.1f %9.1f %9.1f %10.1f %8.1f %9.1f %8.1f\n", r.kind, r.roundTrips, r.transactions, r.workflowTransactions, r.providerCalls,
			r.localActivities, r.activities, r.histEvents, r.deliverWorkflows, r.loopEvents)
	}
	for _, r := range rows {
		fmt.Printf("transactions per %s checkout ([..] is one BEGIN..COMMIT; a bare name is autocommit):\n", r.kind)
		r.db.WriteTransactions(os.Stdout, e.n)
	}
	return nil
}

func (e *explainer) fundWallet(ctx context.Context) error {
	status, body, err := e.d.call(func() (*http.Response, error) {
		return e.d.api.CreateTopUp(ctx, e.w.customer, &apiclient.CreateTopUpParams{IdempotencyKey: fmt.Sprintf("explain-topup-%d", time.Now().UnixNano())},
			apiclient.CreateTopUpJSONRequestBody{MethodId: e.w.bank, Amount: int64(e.n) * 25000, Currency: "KRW"})
	})
	if err != nil || status != 201 || body["status"] != "succeeded" {
		return fmt.Errorf("explain top-up: %d %v %v", status, body, err)
	}
	return e.settle(ctx)
}

// subscribe registers a webhook endpoint, served by a local receiver that
// accepts every event, and returns its id.
func (e *explainer) subscribe(ctx context.Context) (string, func(), error) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	status, body, err := e.d.call(func() (*http.Response, error) {
		return e.d.api.CreateWebhookEndpoint(ctx, apiclient.CreateWebhookEndpointJSONRequestBody{Url: rcv.URL})
	})
	if err != nil || status != 201 {
		rcv.Close()
		return "", nil, fmt.Errorf("explain webhook endpoint: %d %v %v", status, body, err)
	}
	return body["id"].(string), rcv.Close, nil
}

// measure runs n checkouts of a kind after one warm-up; with an endpoint, the
// warm-up also starts its loop, so what is counted is the steady state.
func (e *explainer) measure(ctx context.Context, kind, customer, method string, walletAmount int64, endpoint string) (explained, error) {
	r := explained{kind: kind}
	// One warm-up of this kind: prepared statements and caches, as in steady state.
	if _, err := e.pay(ctx, kind+"-warm", customer, method, walletAmount); err != nil {
		return r, err
	}
	if err := e.settle(ctx); err != nil {
		return r, fmt.Errorf("%s warm-up: %w", kind, err)
	}
	db0, sim0 := e.dbc.Snapshot(), e.sim.n.Load()
	wf0, err := e.count(ctx, deliveryWorkflows)
	if err != nil {
		return r, err
	}
	loop0, err := e.loopHistory(ctx, endpoint)
	if err != nil {
		return r, err
	}
	var orders []string
	for i := range e.n {
		order, err := e.pay(ctx, fmt.Sprintf("%s-%d", kind, i), customer, method, walletAmount)
		if err != nil {
			return r, err
		}
		orders = append(orders, order)
	}
	if err := e.settle(ctx); err != nil {
		return r, fmt.Errorf("%s: %w", kind, err)
	}
	r.db = e.dbc.Snapshot().Sub(db0)
	wf1, err := e.count(ctx, deliveryWorkflows)
	if err != nil {
		return r, err
	}
	loop1, err := e.loopHistory(ctx, endpoint)
	if err != nil {
		return r, err
	}
	n := float64(e.n)
	r.roundTrips, r.transactions = float64(r.db.RoundTrips)/n, float64(r.db.Transactions)/n
	r.workflowTransactions = float64(r.db.InActivity) / n
	r.providerCalls = float64(e.sim.n.Load()-sim0) / n
	r.deliverWorkflows = float64(wf1-wf0) / n
	r.loopEvents = float64(loop1-loop0) / n
	for _, o := range orders {
		h, err := e.history(ctx, workflows.CheckoutID(o))
		if err != nil {
			return r, err
		}
		r.histEvents += float64(h.events) / n
		r.localActivities += float64(h.local) / n
		r.activities += float64(h.activities) / n
	}
	return r, nil
}

func (e *explainer) pay(ctx context.Context, tag, customer, method string, walletAmount int64) (string, error) {
	order := fmt.Sprintf("explain-%d-%s", time.Now().UnixNano(), tag)
	status, body, err := e.d.call(func() (*http.Response, error) { return e.d.pay(ctx, order, customer, method, walletAmount) })
	if err != nil {
		return "", err
	}
	if status != 201 || body["status"] != "succeeded" {
		return "", fmt.Errorf("explain checkout %s: %d %v", order, status, body)
	}
	return order, nil
}

// loopHistory is the length of the endpoint's loop's current run (0 without
// an endpoint).
func (e *explainer) loopHistory(ctx context.Context, endpoint string) (int, error) {
	if endpoint == "" {
		return 0, nil
	}
	h, err := e.history(ctx, workflows.EndpointDeliveryID(endpoint))
	return h.events, err
}

// settle waits until the outbox is dispatched, every delivery made and no
// per-event delivery workflow runs, so that what a checkout causes after its
// answer is counted with it.
func (e *explainer) settle(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	var undispatched, pending int
	var running int64
	for time.Now().Before(deadline) {
		if err := e.quiet.QueryRow(ctx, `SELECT (SELECT count(*) FROM events WHERE dispatched_at IS NULL), (SELECT count(*) FROM event_deliveries WHERE status = 'pending')`).Scan(&undispatched, &pending); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		var err error
		running, err = e.count(ctx, "WorkflowType = 'DeliverEvent' AND ExecutionStatus = 'Running'")
		if err != nil {
			return err
		}
		if undispatched == 0 && pending == 0 && running == 0 {
			time.Sleep(200 * time.Millisecond) // the last activity's statements
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("explain: outbox or deliveries still busy after 30s: %d events undispatched, %d deliveries pending, %d DeliverEvent running",
		undispatched, pending, running)
}

func (e *explainer) count(ctx context.Context, query string) (int64, error) {
	r, err := e.temporal.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: query})
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", query, err)
	}
	return r.GetCount(), nil
}

type historyCounts struct{ events, local, activities int }

func (e *explainer) history(ctx context.Context, workflowID string) (historyCounts, error) {
	var h historyCounts
	it := e.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.events++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				h.local++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			h.activities++
		}
	}
	return h, nil
}
