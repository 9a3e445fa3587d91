package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters/portone"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

func (s *stack) headers(h http.Header) map[string]string {
	out := map[string]string{}
	for k := range h {
		out[k] = h.Get(k)
	}
	return out
}

// PortOne (the default secondary) signs its webhooks per Standard Webhooks: a
// forged, stale or unsigned one is 401 and writes nothing; a genuine one is
// confirmed by a look-up and stored once.
func TestPortOneWebhookForgedStaleUnsignedAreRefused(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: "outage"}))
	res := s.checkout(checkoutBody(cus, pm, orderID()))
	require.Equal(t, "beta", res.json(t)["pg"], "%s", res.Body)
	payID := res.json(t)["id"].(string)
	body := []byte(`{"type":"Transaction.Paid","timestamp":"2026-12-01T01:00:01Z","data":{"paymentId":"` + payID + `","storeId":"store-1","transactionId":"tx-1"}}`)
	sign := func(secret string, at time.Time) map[string]string {
		h, err := portone.SignWebhook(secret, "msg_"+payID, at, body)
		require.NoError(t, err)
		return s.headers(h)
	}
	secret := config.DevPortOneWebhookSecret

	for name, h := range map[string]map[string]string{
		"forged":   sign("whsec_Zm9yZ2VkLWtleS1vZi1hbi1hdHRhY2tlcg==", time.Now()),
		"stale":    sign(secret, time.Now().Add(-10*time.Minute)),
		"future":   sign(secret, time.Now().Add(10*time.Minute)),
		"unsigned": nil,
	} {
		r := s.call("POST", "/v1/webhooks/beta", "", string(body), h)
		require.Equal(t, 401, r.Status, "%s: %s", name, r.Body)
		require.Equal(t, "invalid_signature", r.json(t)["code"], name)
	}
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_inbox`), "a refused webhook writes nothing")

	good := sign(secret, time.Now())
	signals := s.signalsSent()
	r := s.call("POST", "/v1/webhooks/beta", "", string(body), good)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, signals, s.signalsSent(), "a webhook of a settled payment wakes no checkout")
	r = s.call("POST", "/v1/webhooks/beta", "", string(body), good)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, true, r.json(t)["duplicate"])
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'beta' AND status = 'delivered'`))
	s.requireLedgerBalanced()
}

// Toss does not sign PAYMENT_STATUS_CHANGED: paysaga acts only on what a
// look-up at Toss confirms. A webhook about a payment Toss does not know is
// 401 and writes nothing; one about a real payment is stored with the state
// Toss answered, whatever the body claimed.
func TestTossWebhookIsActedOnOnlyAfterALookup(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	res := s.checkout(checkoutBody(cus, pm, order))
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	recs := s.pgRecords(order)
	require.NotEmpty(t, recs)
	paymentKey := recs[0].PaymentKey

	fake := `{"eventType":"PAYMENT_STATUS_CHANGED","createdAt":"2026-12-01T10:00:00+09:00","data":{"paymentKey":"tpk_forged","orderId":"x","status":"DONE"}}`
	r := s.call("POST", "/v1/webhooks/alpha", "", fake, nil)
	require.Equal(t, 401, r.Status, "%s", r.Body)
	require.Equal(t, "unverified_webhook", r.json(t)["code"])
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_inbox`))

	lying := `{"eventType":"PAYMENT_STATUS_CHANGED","createdAt":"2026-12-01T10:00:00+09:00","data":{"paymentKey":"` + paymentKey + `","orderId":"x","status":"CANCELED"}}`
	signals := s.signalsSent()
	r = s.call("POST", "/v1/webhooks/alpha", "", lying, nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, signals, s.signalsSent(), "Toss approves at once: its webhooks wake no checkout")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'alpha' AND event_id = $1`, "lookup:"+paymentKey+":captured:0"),
		"stored under the state Toss confirmed, not the body's CANCELED")
	got := s.call("GET", "/v1/payments/"+res.json(t)["id"].(string), appKey, nil, nil).json(t)
	require.Equal(t, "succeeded", got["status"], "an unsigned claim changes nothing")
}

// The sandbox POSTs the providers' own webhooks: Toss's unsigned
// PAYMENT_STATUS_CHANGED on the approval and on a refund, PortOne's signed
// Transaction.Paid on a failover payment. paysaga stores each one under the
// state its look-up confirmed (Toss) or its verified webhook-id (PortOne), and
// nothing about the payments changes.
func TestSandboxSendsTheProvidersWebhooks(t *testing.T) {
	s := newStack(t)
	s.enablePGWebhooks()
	cus, pm := s.customerWithCard(providersim.CardApprove)
	res := s.checkout(checkoutBody(cus, pm, orderID()))
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	atToss := res.json(t)["id"].(string)
	refund := s.call("POST", "/v1/payments/"+atToss+"/refunds", appKey, map[string]any{"amount": 3000}, map[string]string{"Idempotency-Key": orderID()})
	require.Equal(t, 201, refund.Status, "%s", refund.Body)

	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: "outage"}))
	res = s.checkout(checkoutBody(cus, pm, orderID()))
	require.Equal(t, "beta", res.json(t)["pg"], "%s", res.Body)
	atPortOne := res.json(t)["id"].(string)

	require.Eventually(t, func() bool {
		return s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'beta' AND event_type = 'Transaction.Paid' AND event_id LIKE 'msg_%'`) == 1 &&
			s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'alpha' AND event_type = 'PAYMENT_STATUS_CHANGED' AND event_id LIKE '%:partially_canceled:3000'`) == 1
	}, 10*time.Second, 50*time.Millisecond, "the sandbox's webhooks arrived and verified")
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'alpha' AND event_id NOT LIKE 'lookup:%'`),
		"an unsigned Toss webhook is keyed by the looked-up state only")
	for id, want := range map[string]string{atToss: "partially_refunded", atPortOne: "succeeded"} {
		require.Equal(t, want, s.call("GET", "/v1/payments/"+id, appKey, nil, nil).json(t)["status"])
	}
	s.requireLedgerBalanced()
}

// signalsSent is how many SignalWorkflowExecution calls the app's Temporal
// client has made (its SDK metrics at /metrics).
func (s *stack) signalsSent() float64 {
	s.t.Helper()
	var n float64
	for _, line := range strings.Split(string(s.call("GET", "/metrics", "", nil, nil).Body), "\n") {
		if strings.HasPrefix(line, "temporal_request{") && strings.Contains(line, `operation="SignalWorkflowExecution"`) {
			v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
			require.NoError(s.t, err, line)
			n += v
		}
	}
	return n
}
