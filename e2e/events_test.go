package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

// verifyPaysagaSignature is the README's verification snippet, verbatim: what
// the app runs on every request.
func verifyPaysagaSignature(header string, body []byte, secret string, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("no timestamp")
	}
	if d := now.Sub(time.Unix(t, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("stale timestamp")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("no valid signature")
}

// receiver is the app's webhook endpoint: it verifies every request, dedupes by
// event id and, while down, answers 503.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	down    atomic.Bool
	mu      sync.Mutex
	secret  string
	got     map[string]int    // event id -> accepted deliveries (the receiver dedupes; 2nd+ would be counted)
	types   map[string]string // event id -> type
	order   []string          // event ids in the order first accepted
	delay   time.Duration     // how long each answer takes
	started atomic.Int64      // requests received, answered or not
	failed  int               // requests answered 503 while down
	forged  int               // requests whose signature did not verify
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, got: map[string]int{}, types: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.started.Add(1)
	time.Sleep(r.delay)
	if req.Context().Err() != nil {
		return // the sender is gone (killed): its answer could never arrive, so it is not counted
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down.Load() {
		r.failed++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if err := verifyPaysagaSignature(req.Header.Get("Paysaga-Signature"), body, r.secret, time.Now()); err != nil {
		r.forged++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &ev) != nil || ev.ID != req.Header.Get("Paysaga-Event-Id") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.got[ev.ID] == 0 {
		r.order = append(r.order, ev.ID)
	}
	r.got[ev.ID]++
	r.types[ev.ID] = ev.Type
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) snapshot() (got map[string]int, failed, forged int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got = map[string]int{}
	for k, v := range r.got {
		got[k] = v
	}
	return got, r.failed, r.forged
}

func fastEvents(c *config.Config) {
	c.EventPollInterval = 50 * time.Millisecond
	c.EventRetryInitial = 100 * time.Millisecond
	c.EventRetryMax = 400 * time.Millisecond
	c.EventMaxAttempts = 30
	c.EventTimeout = 2 * time.Second
	c.EventBreakerFailures = 3
	c.EventBreakerCooldown = 200 * time.Millisecond // then 400 ms (EventRetryMax) per probe
	c.EventPace = 0
}

func (s *stack) registerEndpoint(url string, types ...string) (id, secret string) {
	s.t.Helper()
	body := map[string]any{"url": url}
	if len(types) > 0 {
		body["event_types"] = types
	}
	res := s.call("POST", "/v1/webhook-endpoints", appKey, body, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	m := res.json(s.t)
	require.True(s.t, strings.HasPrefix(m["secret"].(string), "whsec_"))
	return m["id"].(string), m["secret"].(string)
}

// Events written while the app's endpoint is down are all delivered once it is
// back: every event the outbox holds arrives, each accepted exactly once, and
// every signature verifies with the documented snippet.
func TestWebhookEventsReachAnEndpointThatWasDown(t *testing.T) {
	s := newStack(t, fastEvents)
	rcv := newReceiver(t)
	endpointID, secret := s.registerEndpoint(rcv.srv.URL)
	rcv.secret = secret
	rcv.down.Store(true)

	cus, pm := s.customerWithCard(providersim.CardApprove)
	var payIDs []string
	for range 3 {
		res := s.checkout(checkoutBody(cus, pm, orderID()))
		require.Equal(t, 201, res.Status, "%s", res.Body)
		payIDs = append(payIDs, res.json(t)["id"].(string))
	}
	res := s.call("POST", "/v1/payments/"+payIDs[0]+"/refunds", appKey, map[string]any{"amount": 3000},
		map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	cusD, pmD := s.customerWithCard(providersim.CardDecline)
	res = s.checkout(checkoutBody(cusD, pmD, orderID()))
	require.Equal(t, "failed", res.json(t)["status"])

	// Down for a while: several attempts fail, nothing is accepted.
	require.Eventually(t, func() bool { _, failed, _ := rcv.snapshot(); return failed >= 10 }, 20*time.Second, 50*time.Millisecond)
	backlog := fmt.Sprintf(`paysaga_event_deliveries_pending{endpoint_id="%s"}`, endpointID)
	require.Eventually(t, func() bool {
		return strings.Contains(string(s.call("GET", "/metrics", "", nil, nil).Body), backlog+" 5")
	}, 10*time.Second, 100*time.Millisecond, "the down endpoint's backlog: all 5 events pending")
	rcv.down.Store(false)

	want := s.rows(`SELECT count(*) FROM events`)
	require.Equal(t, 5, want, "3 succeeded + 1 refunded + 1 failed, each written once")
	require.Eventually(t, func() bool { got, _, _ := rcv.snapshot(); return len(got) == want }, 30*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool {
		return s.rows(`SELECT count(*) FROM event_deliveries WHERE status = 'delivered'`) == want
	}, 10*time.Second, 50*time.Millisecond)

	metricsBody := string(s.call("GET", "/metrics", "", nil, nil).Body)
	require.NotContains(t, metricsBody, backlog, "nothing pending once delivered")
	require.Contains(t, metricsBody, "paysaga_events_undispatched 0")

	got, _, forged := rcv.snapshot()
	require.Zero(t, forged, "every signature verifies with the documented snippet")
	for id, n := range got {
		require.Equal(t, 1, n, "event %s accepted once", id)
	}
	typeCount := map[string]int{}
	rcv.mu.Lock()
	for _, typ := range rcv.types {
		typeCount[typ]++
	}
	rcv.mu.Unlock()
	require.Equal(t, map[string]int{"payment.succeeded": 3, "payment.refunded": 1, "payment.failed": 1}, typeCount)

	// The attempts are visible: failures while down, then the success.
	var evID string
	require.NoError(t, s.pool.QueryRow(s.ctx, `SELECT id FROM events WHERE subject_id = $1 AND type = 'payment.succeeded'`, payIDs[0]).Scan(&evID))
	res = s.call("GET", "/v1/events/"+evID+"/attempts", opsKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	body := res.json(t)
	atts := body["attempts"].([]any)
	require.Greater(t, len(atts), 1, "failed attempts while down, then one that succeeded")
	require.EqualValues(t, 503, atts[0].(map[string]any)["status_code"])
	require.EqualValues(t, 204, atts[len(atts)-1].(map[string]any)["status_code"])
	require.Equal(t, "delivered", body["deliveries"].([]any)[0].(map[string]any)["status"])
}

// A rotated secret: during the grace period each request carries signatures by
// both secrets, so an app still on the old one and one on the new one both verify.
func TestWebhookSecretRotationSignsWithBothDuringGrace(t *testing.T) {
	s := newStack(t, fastEvents)
	var headers []string
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		headers, bodies = append(headers, r.Header.Get("Paysaga-Signature")), append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	id, oldSecret := s.registerEndpoint(srv.URL, "payment.succeeded")
	res := s.call("POST", "/v1/webhook-endpoints/"+id+"/rotate", appKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	rot := res.json(t)
	newSecret := rot["secret"].(string)
	require.NotEqual(t, oldSecret, newSecret)
	require.NotEmpty(t, rot["previous_secret_expires_at"])

	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.Equal(t, 201, s.checkout(checkoutBody(cus, pm, orderID())).Status)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(headers) == 1 }, 15*time.Second, 50*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.NoError(t, verifyPaysagaSignature(headers[0], bodies[0], oldSecret, time.Now()))
	require.NoError(t, verifyPaysagaSignature(headers[0], bodies[0], newSecret, time.Now()))
	require.Error(t, verifyPaysagaSignature(headers[0], bodies[0], "whsec_other", time.Now()))

	// The secret is never listed again, and a deleted endpoint is gone.
	list := s.call("GET", "/v1/webhook-endpoints", appKey, nil, nil)
	require.Equal(t, 200, list.Status)
	require.NotContains(t, string(list.Body), newSecret)
	require.NotContains(t, string(list.Body), oldSecret)
	require.Equal(t, 204, s.call("DELETE", "/v1/webhook-endpoints/"+id, appKey, nil, nil).Status)
	require.Equal(t, 404, s.call("DELETE", "/v1/webhook-endpoints/"+id, appKey, nil, nil).Status)
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_endpoints WHERE position('whsec_'::bytea IN secret_sealed) > 0`), "secrets are sealed")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_endpoints`))
}

func TestWebhookEndpointBadInputWritesNothing(t *testing.T) {
	s := newStack(t)
	for name, body := range map[string]any{
		"no url":        map[string]any{},
		"relative url":  map[string]any{"url": "/hook"},
		"ftp url":       map[string]any{"url": "ftp://example.com/hook"},
		"credentials":   map[string]any{"url": "https://u:p@example.com/hook"},
		"unknown type":  map[string]any{"url": "https://example.com/hook", "event_types": []string{"payment.exploded"}},
		"unknown field": map[string]any{"url": "https://example.com/hook", "secret": "mine"},
		"not json":      "{",
	} {
		res := s.call("POST", "/v1/webhook-endpoints", appKey, body, nil)
		require.Contains(t, []int{400, 422}, res.Status, "%s: %s", name, res.Body)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), name)
	}
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_endpoints`))
	require.Equal(t, 404, s.call("POST", "/v1/webhook-endpoints/we_nope/rotate", appKey, nil, nil).Status)
	require.Equal(t, 404, s.call("GET", "/v1/events/evt_nope/attempts", appKey, nil, nil).Status)
}
