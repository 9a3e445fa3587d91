// Package e2e drives paysaga over HTTP against a real Temporal dev server, a real
// PostgreSQL and the provider sandbox, all started by `make test`.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/api/contract"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/client"
	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
)

const (
	appKey     = "e2e-app-key"
	opsKey     = "e2e-ops-key"
	financeKey = "e2e-finance-key"
)

// spec checks every exchange any stack serves (the tests' requests and the
// sandbox's webhooks) against api/openapi.yaml; a mismatch fails the test.
var spec = contract.MustNew(api.OpenAPIDocument())

// TestMain runs the tests, then reports which operations they exercised.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	if err := contract.Report(os.Stderr, "e2e", spec.Coverage()); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// stack is one isolated paysaga: its own database, task queue and sandbox,
// sharing the test Temporal server.
type stack struct {
	t    *testing.T
	ctx  context.Context
	app  *app.App
	url  string
	api  *client.ClientWithResponses // the generated client; pass client.Bearer(key) per call
	sim  *providersim.AdminClient
	pool *pgxpool.Pool
	logs *testenv.Logs // what the app logged, as it would reach stderr
}

// newStack starts a stack; tune adjusts its settings before it starts.
func newStack(t *testing.T, tune ...func(*config.Config)) *stack {
	t.Helper()
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	t.Cleanup(simSrv.Close)

	cfg := config.Default()
	cfg.DatabaseURL = testenv.Database(t)
	cfg.TemporalAddress = testenv.TemporalAddress(t)
	cfg.SimURL = simSrv.URL
	cfg.TaskQueue = "e2e-" + uuid.NewString()
	cfg.ProviderTimeout = 2 * time.Second
	cfg.CodecKeys, cfg.CodecAddr = codec.NewKey("e2e"), ""
	cfg.WebhookAllowInternal = true // the tests' receivers are httptest servers on loopback
	cfg.ReconCron = ""              // one daily schedule per test stack is noise; recon_test.go turns it on
	for _, f := range tune {
		f(&cfg)
	}
	require.NoError(t, cfg.Validate())

	logs := &testenv.Logs{}
	a, err := app.Start(ctx, cfg, app.NewLogger(logs, "debug"), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	// The document is the public API's; the console (/console) is a browser
	// surface over it, checked by its own tests, so it goes around the checker.
	checked := spec.Handler(a.HTTP, contractReporter(t))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/console") {
			a.HTTP.ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	apiClient, err := client.NewClientWithResponses(srv.URL)
	require.NoError(t, err)

	q := db.New(a.Pool)
	require.NoError(t, api.EnsureAPIKey(ctx, q, "app", "e2e app", appKey))
	require.NoError(t, api.EnsureAPIKey(ctx, q, "ops", "e2e ops", opsKey))
	require.NoError(t, api.EnsureAPIKey(ctx, q, "finance", "e2e finance", financeKey))
	return &stack{t: t, ctx: ctx, app: a, url: srv.URL, api: apiClient, sim: providersim.NewAdminClient(simSrv.URL, nil), pool: a.Pool, logs: logs}
}

// contractReporter fails t for each contract mismatch until t's cleanup starts;
// requests that arrive later (a sandbox retrying a webhook) are not reported.
func contractReporter(t *testing.T) func(error) {
	var mu sync.Mutex
	done := false
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Errorf("openapi contract: %v", err)
		}
	}
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// call sends one request; body may be a string (sent as is) or a value (JSON).
func (s *stack) call(method, path, key string, body any, header map[string]string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(s.t, err)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(s.ctx, method, s.url+path, rd)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// customerWithCard registers a customer and a card (tokenized at the sandbox,
// as the app's client SDK would) and returns their ids.
func (s *stack) customerWithCard(card string) (customerID, methodID string) {
	s.t.Helper()
	cus, err := s.api.CreateCustomerWithResponse(s.ctx, client.CreateCustomerJSONRequestBody{ExternalId: "ext-" + uuid.NewString(), Name: "김고객"}, client.Bearer(appKey))
	require.NoError(s.t, err)
	require.Equal(s.t, 201, cus.StatusCode(), "%s", cus.Body)
	authKey, err := s.sim.Tokenize(s.ctx, providersim.Card{Number: card, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	require.NoError(s.t, err)
	pm, err := s.api.CreatePaymentMethodWithResponse(s.ctx, cus.JSON201.Id, nil,
		client.CreatePaymentMethodJSONRequestBody{Type: client.CreatePaymentMethodRequestTypeCard, PgAuthKey: &authKey}, client.Bearer(appKey))
	require.NoError(s.t, err)
	require.Equal(s.t, 201, pm.StatusCode(), "%s", pm.Body)
	return cus.JSON201.Id, pm.JSON201.Id
}

func checkoutBody(customerID, methodID, orderID string) map[string]any {
	return map[string]any{
		"order_id": orderID, "customer_id": customerID, "currency": "KRW", "amount": 15000,
		"items":   []map[string]any{{"producer_id": "farm-a", "amount": 10000}, {"producer_id": "farm-b", "amount": 5000}},
		"payment": map[string]any{"method_id": methodID},
	}
}

// checkout pays through the generated client; body is sent as is, so tests can
// send what the typed request cannot (bad input).
func (s *stack) checkout(body map[string]any) response {
	s.t.Helper()
	buf, err := json.Marshal(body)
	require.NoError(s.t, err)
	res, err := s.api.CreateCheckoutWithBodyWithResponse(s.ctx, &client.CreateCheckoutParams{IdempotencyKey: uuid.NewString()},
		"application/json", bytes.NewReader(buf), client.Bearer(appKey))
	require.NoError(s.t, err)
	return response{Status: res.StatusCode(), Header: res.HTTPResponse.Header, Body: res.Body}
}

// pgRecords returns the sandbox's records of one order's payment at any PG:
// the authorization (found by order id) and everything done to its payment key.
func (s *stack) pgRecords(orderID string) []providersim.Record {
	s.t.Helper()
	auths, err := s.sim.Records(s.ctx, providersim.RecordFilter{OrderID: orderID, Kind: "authorize"})
	require.NoError(s.t, err)
	// Toss's orderId is paysaga's payment id (unique per payment): find those too.
	rows, err := s.pool.Query(s.ctx, `SELECT id FROM payments WHERE order_id = $1`, orderID)
	require.NoError(s.t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(s.t, err)
	for _, id := range ids {
		more, err := s.sim.Records(s.ctx, providersim.RecordFilter{OrderID: id, Kind: "authorize"})
		require.NoError(s.t, err)
		auths = append(auths, more...)
	}
	var out []providersim.Record
	for _, a := range auths {
		recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{PaymentKey: a.PaymentKey})
		require.NoError(s.t, err)
		out = append(out, recs...)
	}
	return out
}

// count counts records of a kind and sums their amounts.
func count(recs []providersim.Record, kind string) (n int, amount int64) {
	for _, r := range recs {
		if r.Kind == kind {
			n++
			amount += r.Amount
		}
	}
	return n, amount
}

func (s *stack) balance(account string) int64 {
	s.t.Helper()
	b, err := db.New(s.pool).AccountBalance(s.ctx, db.AccountBalanceParams{Account: account, Currency: "KRW"})
	require.NoError(s.t, err)
	return b
}

func (s *stack) rows(query string, args ...any) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.pool.QueryRow(s.ctx, query, args...).Scan(&n))
	return n
}

// requireChargedOnce asserts the sandbox holds exactly one authorization and
// one capture of amount for the order, whatever PG served it.
func (s *stack) requireChargedOnce(order string, amount int64) {
	s.t.Helper()
	recs := s.pgRecords(order)
	n, _ := count(recs, "authorize")
	require.Equal(s.t, 1, n, "one authorization")
	n, amt := count(recs, "capture")
	require.Equal(s.t, 1, n, "one capture")
	require.Equal(s.t, amount, amt)
}

func (s *stack) requireLedgerBalanced() {
	s.t.Helper()
	n, err := db.New(s.pool).UnbalancedTransactionCount(s.ctx)
	require.NoError(s.t, err)
	require.Zero(s.t, n, "unbalanced journal transactions")
}

func orderID() string { return fmt.Sprintf("o-%s", uuid.NewString()[:13]) }

// rawHistory is a workflow's history as the Temporal server stores it, fetched
// through the gRPC service (no data converter, so nothing is decoded), as JSON.
func (s *stack) rawHistory(workflowID string) string {
	s.t.Helper()
	res, err := s.app.Temporal.WorkflowService().GetWorkflowExecutionHistory(s.ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: s.app.Config.TemporalNamespace, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
	})
	require.NoError(s.t, err)
	require.NotEmpty(s.t, res.History.Events)
	b, err := protojson.Marshal(res.History)
	require.NoError(s.t, err)
	return string(b)
}
