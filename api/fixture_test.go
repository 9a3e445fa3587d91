package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/metrics"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/workflows"
)

// fixture is one API over a fresh database and a real Temporal server, with a
// task queue of its own so workflow counts are per test.
type fixture struct {
	t      testing.TB
	cfg    config.Config
	s      *server
	e      *echo.Echo
	pool   *pgxpool.Pool
	q      *db.Queries
	tc     client.Client
	logs   *testenv.Logs
	keys   map[string]string // role -> plaintext key
	keyIDs map[string]string // role -> api_keys.id
}

func newFixture(t testing.TB, tweak ...func(*config.Config)) *fixture {
	t.Helper()
	pool := envPool(t)
	tc := temporalClient(t)
	cfg := config.Default()
	cfg.TemporalAddress = envTemporalAddress(t)
	cfg.TaskQueue = "api-test-" + uuid.NewString()
	cfg.CheckoutBudget = 300 * time.Millisecond
	cfg.BodyLimitBytes = 4096
	for _, f := range tweak {
		f(&cfg)
	}
	require.NoError(t, cfg.Validate())
	logs := &testenv.Logs{}
	f := &fixture{
		t: t, cfg: cfg, pool: pool, q: db.New(pool), tc: tc, logs: logs,
		keys: map[string]string{}, keyIDs: map[string]string{},
	}
	keys, err := pii.New(cfg.PIIKey)
	require.NoError(t, err)
	f.s = newServer(Deps{Config: cfg, Pool: pool, Queries: f.q, Temporal: tc, Log: zerolog.New(logs), Metrics: metrics.New(), PII: keys})
	f.e = f.s.routes()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("API log:\n%s", logs.String())
		}
	})
	ctx := context.Background()
	for _, role := range []string{roleApp, roleFinance, roleOps} {
		key := "sk_test_" + role + "_" + uuid.NewString()
		require.NoError(t, EnsureAPIKey(ctx, f.q, role, "test "+role, key))
		row, err := f.q.GetAPIKeyByHash(ctx, HashKey(key))
		require.NoError(t, err)
		f.keys[role], f.keyIDs[role] = key, row.ID
	}
	return f
}

var (
	sharedClientOnce sync.Once
	sharedClient     client.Client
	sharedClientErr  error
)

// temporalClient is one client for the whole package, with paysaga's search
// attributes registered (the worker does that in production).
func temporalClient(t testing.TB) client.Client {
	t.Helper()
	addr := envTemporalAddress(t)
	sharedClientOnce.Do(func() {
		sharedClient, sharedClientErr = client.Dial(client.Options{HostPort: addr, Logger: quietLogger()})
		if sharedClientErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := sharedClient.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        "default",
			SearchAttributes: workflows.SearchAttributeTypes(),
		})
		var exists *serviceerror.AlreadyExists
		if err != nil && !errors.As(err, &exists) {
			sharedClientErr = fmt.Errorf("add search attributes: %w", err)
		}
	})
	require.NoError(t, sharedClientErr)
	return sharedClient
}

type request struct {
	method  string
	path    string
	role    string // "" sends no Authorization header
	body    string
	idemKey string
	headers map[string]string
}

type response struct {
	*httptest.ResponseRecorder
	t testing.TB
}

func (f *fixture) do(r request) response {
	f.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	if r.role != "" {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+f.keys[r.role])
	}
	if r.idemKey != "" {
		req.Header.Set(headerIdempotencyKey, r.idemKey)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	checkExchange(f.t, req, []byte(r.body), rec.Code, rec.Header(), rec.Body.Bytes())
	return response{ResponseRecorder: rec, t: f.t}
}

func (r response) json() map[string]any {
	r.t.Helper()
	var out map[string]any
	require.NoError(r.t, json.Unmarshal(r.Body.Bytes(), &out), "body: %s", r.Body.String())
	return out
}

// problem asserts a problem+json answer with this status and code.
func (r response) problem(status int, code string) map[string]any {
	r.t.Helper()
	require.Equal(r.t, status, r.Code, "body: %s", r.Body.String())
	require.Equal(r.t, "application/problem+json", r.Header().Get(echo.HeaderContentType))
	p := r.json()
	require.Equal(r.t, code, p["code"], "body: %s", r.Body.String())
	require.Equal(r.t, problemTypeBase+code, p["type"])
	require.EqualValues(r.t, status, p["status"])
	require.NotEmpty(r.t, p["title"])
	return p
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	require.NoError(f.t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// workflowExists reports whether any run with this id was ever started.
func (f *fixture) workflowExists(id string) bool {
	f.t.Helper()
	_, err := f.tc.DescribeWorkflowExecution(context.Background(), id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false
	}
	require.NoError(f.t, err)
	return true
}

// workflowsOnQueue counts the workflows started on the fixture's task queue.
// Visibility lags a little behind starts; call it after the requests under test.
func (f *fixture) workflowsOnQueue() int64 {
	f.t.Helper()
	time.Sleep(300 * time.Millisecond)
	res, err := f.tc.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("TaskQueue = '%s'", f.cfg.TaskQueue),
	})
	require.NoError(f.t, err)
	return res.GetCount()
}

func (f *fixture) customer(externalID string) string {
	f.t.Helper()
	res := f.do(request{method: http.MethodPost, path: "/v1/customers", role: roleApp,
		body: fmt.Sprintf(`{"external_id":%q,"name":"Kim Minji"}`, externalID)})
	require.Equal(f.t, http.StatusCreated, res.Code, res.Body.String())
	return res.json()["id"].(string)
}

// cardMethod stores an active card the way the registration workflow does.
func (f *fixture) cardMethod(customerID string) string {
	f.t.Helper()
	id := "pm_" + uuid.NewString()
	_, err := f.q.CreatePaymentMethod(context.Background(), db.CreatePaymentMethodParams{
		ID: id, CustomerID: customerID, Kind: "card",
		CardBrand: text("shinhan"), CardType: text("credit"), CardLast4: text("4242"),
	})
	require.NoError(f.t, err)
	return id
}

// bankMethod stores an active bank account method.
func (f *fixture) bankMethod(customerID string) string {
	f.t.Helper()
	id := "pm_" + uuid.NewString()
	_, err := f.q.CreatePaymentMethod(context.Background(), db.CreatePaymentMethodParams{
		ID: id, CustomerID: customerID, Kind: "bank_account",
		BankCode: text("004"), AccountLast4: text("5678"), HolderName: text("Kim Minji"),
	})
	require.NoError(f.t, err)
	return id
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: true} }

func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// in is the fixture reporting to a subtest's t.
func (f *fixture) in(t *testing.T) *fixture {
	g := *f
	g.t = t
	return &g
}

func newRequest(f *fixture, method, path, role string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, path, body)
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	if role != "" {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+f.keys[role])
	}
	return req
}

func serve(f *fixture, req *http.Request) response {
	f.t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		require.NoError(f.t, err)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	checkExchange(f.t, req, body, rec.Code, rec.Header(), rec.Body.Bytes())
	return response{ResponseRecorder: rec, t: f.t}
}

// unique makes a business key (order id) that no earlier run used: the Temporal
// server outlives the test databases.
func unique(prefix string) string {
	return prefix + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
}
