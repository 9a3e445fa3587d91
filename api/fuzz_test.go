package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/config"
)

// Whatever the body, decoding and validating a checkout never panics, and a
// request that passes is one the workflow can take: a positive amount within
// the limit, a supported currency, items that add up to it exactly.
func FuzzCheckoutRequest(f *testing.F) {
	f.Add(`{"order_id":"o-1","customer_id":"cus_1","currency":"KRW","amount":15000,"items":[{"producer_id":"a","amount":10000},{"producer_id":"b","amount":5000}],"payment":{"method_id":"pm_1"}}`)
	f.Add(`{"order_id":"o-1","customer_id":"cus_1","currency":"KRW","amount":-1,"items":[],"payment":null}`)
	f.Add(`{"amount":9223372036854775807,"items":[{"producer_id":"a","amount":9223372036854775807},{"producer_id":"b","amount":1}]}`)
	f.Add(`{"order_id":"\u0000","currency":"krw","amount":1e3}`)
	f.Add(`[]`)
	f.Add(`{"order_id":"o"}{"order_id":"p"}`)
	cfg := config.Default()
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/checkouts", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := e.NewContext(req, httptest.NewRecorder())
		var r checkoutRequest
		if err := decodeJSON(c, &r, false); err != nil {
			requireClientProblem(t, err)
			return
		}
		if err := r.validate(cfg); err != nil {
			requireClientProblem(t, err)
			return
		}
		if r.Amount <= 0 || r.Amount > cfg.MaxAmount || !slices.Contains(cfg.Currencies, r.Currency) {
			t.Fatalf("accepted amount %d %q", r.Amount, r.Currency)
		}
		var sum int64
		for _, it := range r.Items {
			if it.Amount <= 0 {
				t.Fatalf("accepted item amount %d", it.Amount)
			}
			sum += it.Amount
		}
		if sum != r.Amount || r.Payment == nil || r.Payment.MethodID == "" {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func requireClientProblem(t *testing.T, err error) {
	t.Helper()
	p, ok := err.(*Problem)
	if !ok || p.Status < 400 || p.Status > 499 {
		t.Fatalf("bad input answered %v, want a 4xx problem", err)
	}
}

// FuzzRouter sends hostile requests to every route of the real router, over
// real PostgreSQL and Temporal: path ids, query strings, Content-Types and
// bodies with NUL and other control bytes, invalid UTF-8, duplicate keys. Bad
// input is never a 5xx; a 4xx is always problem+json and changes nothing: no
// workflow started or signalled, no row written in any table. The seeds (below
// and testdata/fuzz/FuzzRouter) run in make test.
func FuzzRouter(f *testing.F) {
	hostileIDs := []string{"pay_\x00", "\x00", "a\x01b", "\x7f", "\xc3\x28", "\xff", "%00", "a%2F..%2Fb", strings.Repeat("x", 300), "pay_x"}
	queries := []string{"", "subject_id=%00", "subject_id=%C3%28", "limit=%00", "limit=-1", "a=%zz", "subject_id=a&subject_id=%01", "%00=1", "limit=1;x=2"}
	bodies := []struct{ ct, body string }{
		{"", `{"external_id":"x","name":"y"}`},
		{"application/json", `{"amount":1,"amount":15000}`},
		{"application/json", `{"order_id":"o","items":[{"producer_id":"a","amount":1,"amount":2}]}`},
		{"application/json", "{\"name\":\"\xc3\x28\",\"external_id\":\"e\"}"},
		{"application/json", `{"name":"\ud800","external_id":"e"}`},
		{"application/json", "{\"name\":\"a\x00b\"}"},
		{"text/plain", `{}`},
		{"application/x-www-form-urlencoded", "a=1&b=2"},
		{"application/json; charset=utf-8", `{}`},
		{"application/merge-patch+json", `{"paused":true}`},
		{"application/json", `{}`},
		{"application/json", `[]`},
		{"application/json", `{"a":1} {"b":2}`},
	}
	seed := func(route string, role byte, id, query, ct, body string) { f.Add(route, role, id, query, ct, body) }
	fx := newFixture(f)
	starts := &startCounter{Client: fx.tc}
	fx.s.temporal = starts
	fx.e = fx.s.routes()
	routes := routerRoutes(fx.e)
	for i, r := range routes {
		key := r.Method + " " + r.Path
		seed(key, byte(i%3), hostileIDs[i%len(hostileIDs)], queries[i%len(queries)], "", "")
		seed(key, 0, "\x00", "", "application/json", "{}")
		b := bodies[i%len(bodies)]
		seed(key, byte(i), "x", "", b.ct, b.body)
	}
	totalRows := rowCounter(f, fx)
	roles := []string{roleApp, roleFinance, roleOps, ""}
	f.Fuzz(func(t *testing.T, route string, role byte, id, query, ct, body string) {
		r := pickRoute(routes, route)
		path := paramPattern.ReplaceAllLiteralString(r.Path, "/"+id)
		req := httptest.NewRequest(r.Method, "/", strings.NewReader(body))
		req.URL = &url.URL{Path: path, RawQuery: query}
		req.RequestURI = ""
		if ct != "" {
			req.Header.Set(echo.HeaderContentType, ct)
		}
		if k := roles[int(role)%len(roles)]; k != "" {
			req.Header.Set(echo.HeaderAuthorization, "Bearer "+fx.keys[k])
		}
		if r.Method == http.MethodPost {
			req.Header.Set(headerIdempotencyKey, "fuzz-"+uuid.NewString())
		}
		rowsBefore, startsBefore := totalRows(t), starts.n.Load()
		rec := httptest.NewRecorder()
		fx.e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q?%s (%s) answered %d: %s", r.Method, path, query, ct, rec.Code, rec.Body.String())
		}
		if rec.Code < 400 {
			return
		}
		if got := rec.Header().Get(echo.HeaderContentType); got != "application/problem+json" {
			t.Fatalf("%s %q answered %d as %q, want problem+json: %s", r.Method, path, rec.Code, got, rec.Body.String())
		}
		if n := starts.n.Load() - startsBefore; n != 0 {
			t.Fatalf("%s %q answered %d but started or signalled %d workflows", r.Method, path, rec.Code, n)
		}
		if n := totalRows(t) - rowsBefore; n != 0 {
			t.Fatalf("%s %q answered %d but wrote %d rows", r.Method, path, rec.Code, n)
		}
	})
}

var paramPattern = regexp.MustCompile(`/:[a-z_]+`)

// routerRoutes is every route of e, in a stable order.
func routerRoutes(e *echo.Echo) []*echo.Route {
	out := slices.Clone(e.Routes())
	slices.SortFunc(out, func(a, b *echo.Route) int { return strings.Compare(a.Method+" "+a.Path, b.Method+" "+b.Path) })
	return out
}

// pickRoute finds "METHOD /path/:id", or picks one by the string's bytes, so
// any input names a route and a new route is fuzzed without a new seed.
func pickRoute(routes []*echo.Route, name string) *echo.Route {
	h := 0
	for i, r := range routes {
		if r.Method+" "+r.Path == name {
			return routes[i]
		}
	}
	for _, c := range []byte(name) {
		h = h*31 + int(c)
	}
	if h < 0 {
		h = -h
	}
	return routes[h%len(routes)]
}

// rowCounter returns a function that counts the rows of every table.
func rowCounter(tb testing.TB, fx *fixture) func(testing.TB) int64 {
	ctx := context.Background()
	var expr string
	// api_rate_buckets is the rate limiter's bookkeeping (a key's first request
	// makes its bucket, whatever the answer), not data the request changed.
	require.NoError(tb, fx.pool.QueryRow(ctx, `SELECT string_agg(format('(SELECT count(*) FROM %I)', tablename), ' + ')
		FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'goose%' AND tablename <> 'api_rate_buckets'`).Scan(&expr))
	return func(t testing.TB) int64 {
		var n int64
		require.NoError(t, fx.pool.QueryRow(ctx, "SELECT "+expr).Scan(&n))
		return n
	}
}

// startCounter is the real Temporal client, counting what would start or
// change a workflow.
type startCounter struct {
	client.Client
	n atomic.Int64
}

func (s *startCounter) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	s.n.Add(1)
	return s.Client.ExecuteWorkflow(ctx, o, wf, args...)
}

func (s *startCounter) SignalWorkflow(ctx context.Context, id, runID, name string, arg any) error {
	s.n.Add(1)
	return s.Client.SignalWorkflow(ctx, id, runID, name, arg)
}

func (s *startCounter) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	s.n.Add(1)
	return s.Client.UpdateWorkflow(ctx, o)
}
