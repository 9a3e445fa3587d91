package providersim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
)

// hangFor is how long a CardTimeout authorization hangs in these tests; client
// timeouts below it make the hang look like a lost answer.
const hangFor = 400 * time.Millisecond

// env is a sandbox behind a real HTTP server, driven through the real adapters
// clients, so both the sandbox and the clients' error classification are tested.
type env struct {
	t     *testing.T
	ctx   context.Context
	url   string
	sim   *providersim.Server
	admin *providersim.AdminClient
	hc    *http.Client
	pg    map[string]pg.Client
	bank  bank.Client
	idv   identity.Client
}

func newEnv(t *testing.T, opts ...func(*providersim.Server)) *env {
	t.Helper()
	sim := providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()})
	providersim.SetHangFor(sim, hangFor)
	for _, o := range opts {
		o(sim)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	hc := &http.Client{Timeout: 5 * time.Second}
	e := &env{
		t: t, ctx: context.Background(), url: srv.URL, sim: sim, hc: hc,
		admin: providersim.NewAdminClient(srv.URL, hc),
		pg: map[string]pg.Client{
			"alpha": pg.NewHTTPClient("alpha", srv.URL+"/pg/alpha", hc),
			"beta":  pg.NewHTTPClient("beta", srv.URL+"/pg/beta", hc),
		},
		bank: bank.NewHTTPClient(srv.URL+"/bank", hc),
		idv:  identity.NewHTTPClient(srv.URL+"/identity", hc),
	}
	return e
}

var keySeq atomic.Int64

// key returns a fresh idempotency key (or order id) with a readable prefix.
func key(prefix string) string { return fmt.Sprintf("%s-%d", prefix, keySeq.Add(1)) }

func testCard(number string) providersim.Card {
	return providersim.Card{Number: number, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"}
}

// tokenize turns a test card into an auth key, as the PG's client SDK would.
func (e *env) tokenize(number string) string {
	e.t.Helper()
	ak, err := e.admin.Tokenize(e.ctx, testCard(number))
	require.NoError(e.t, err)
	require.NotEmpty(e.t, ak)
	return ak
}

// billingKey tokenizes a card and issues a billing key for it at one PG.
func (e *env) billingKey(pgName, number string) string {
	e.t.Helper()
	bk, err := e.pg[pgName].IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{CustomerKey: key("cus"), AuthKey: e.tokenize(number)})
	require.NoError(e.t, err)
	return bk.BillingKey
}

// authorize authorizes amount KRW on a new order and returns the payment.
func (e *env) authorize(pgName, billingKey string, amount int64) pg.Payment {
	e.t.Helper()
	p, err := e.pg[pgName].Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("auth"), BillingKey: billingKey,
		OrderID: key("order"), Amount: amount, Currency: "KRW"})
	require.NoError(e.t, err)
	return p
}

func (e *env) records(f providersim.RecordFilter) []providersim.Record {
	e.t.Helper()
	recs, err := e.admin.Records(e.ctx, f)
	require.NoError(e.t, err)
	assert.Equal(e.t, normalize(e.sim.Records(f)), normalize(recs), "the admin API and Records agree")
	return recs
}

// sum counts records and adds up their amounts.
func sum(recs []providersim.Record) (n int, amount int64) {
	for _, r := range recs {
		n++
		amount += r.Amount
	}
	return n, amount
}

func (e *env) setFault(f providersim.Fault) {
	e.t.Helper()
	require.NoError(e.t, e.admin.SetFault(e.ctx, f))
}

// requireKind asserts err is a classified adapters error of kind k with code.
func requireKind(t *testing.T, err error, k adapters.Kind, code string) *adapters.Error {
	t.Helper()
	require.Error(t, err)
	var ae *adapters.Error
	require.True(t, errors.As(err, &ae), "want *adapters.Error, got %T: %v", err, err)
	require.Equal(t, k, ae.Kind, "err: %v", err)
	if code != "" {
		require.Equal(t, code, ae.Code, "err: %v", err)
	}
	return ae
}

// shortCtx is a context that gives up well before a hung provider answers.
func shortCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// rawPost sends a JSON body straight to the sandbox and answers the status, the
// decoded body and the Idempotent-Replayed header.
func (e *env) rawPost(path, idemKey, body string) (int, map[string]any, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.url+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set(providersim.IdempotencyHeader, idemKey)
	}
	res, err := e.hc.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(e.t, json.NewDecoder(res.Body).Decode(&out))
	return res.StatusCode, out, res.Header.Get("Idempotent-Replayed")
}

// normalize drops what JSON does not carry (monotonic clock, location) from times.
func normalize(recs []providersim.Record) []providersim.Record {
	out := make([]providersim.Record, len(recs))
	for i, r := range recs {
		r.At = r.At.UTC().Round(0)
		out[i] = r
	}
	return out
}
