package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/signature"
)

// enablePGWebhooks points the sandbox PGs' webhooks at this stack.
func (s *stack) enablePGWebhooks() {
	s.t.Helper()
	require.NoError(s.t, s.sim.SetWebhooks(s.ctx, providersim.WebhookConfig{URL: s.url + "/v1/webhooks", Secret: s.app.Config.PGWebhookSecret}))
}

// pgWebhook posts a webhook as PG alpha would, signed with secret at time at.
func (s *stack) pgWebhook(ev providersim.WebhookEvent, secret string, at time.Time) response {
	s.t.Helper()
	body, err := json.Marshal(ev)
	require.NoError(s.t, err)
	return s.call("POST", "/v1/webhooks/alpha", "", string(body), map[string]string{
		"PG-Signature": signature.Header(at.Unix(), body, []byte(secret)),
	})
}

func timeline(t *testing.T, pay map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, e := range pay["timeline"].([]any) {
		ev := e.(map[string]any)
		detail, _ := ev["detail"].(map[string]any)
		out[ev["step"].(string)] = detail
	}
	return out
}

// A card whose issuer answers later: authorize is "pending", the sandbox PG
// POSTs the result, the verified webhook signals the checkout, which captures
// and books; all inside the HTTP call's budget.
func TestWebhookAsyncAuthorizationCompletesThroughTheWebhook(t *testing.T) {
	s := newStack(t, paysagaProtocol) // the PG of the original protocol: async cards, signed webhooks
	s.enablePGWebhooks()
	cus, pm := s.customerWithCard(providersim.CardAsyncApprove)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"], "%s", res.Body)
	got := s.call("GET", "/v1/payments/"+pay["id"].(string), opsKey, nil, nil).json(t)
	steps := timeline(t, got)
	require.Contains(t, steps, "authorization_pending")
	require.Equal(t, "webhook", steps["authorization_authorized"]["source"], "decided by the webhook, not a query")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_inbox WHERE status = 'delivered' AND payload->>'order_id' = $1`, order))
	s.requireChargedOnce(order, 15000)
	s.requireLedgerBalanced()
}

func TestWebhookAsyncDeclineFailsThePayment(t *testing.T) {
	s := newStack(t, paysagaProtocol)
	s.enablePGWebhooks()
	cus, pm := s.customerWithCard(providersim.CardAsyncDecline)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "failed", pay["status"])
	require.Equal(t, "card_declined", pay["failure"].(map[string]any)["code"])
	require.Empty(t, s.pgRecords(order), "nothing authorized, captured or voided")
	require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions`))
}

// Forged and stale webhooks are 401 and change nothing; the genuine one
// completes the payment; a duplicate and a late contradicting event change
// nothing more; one for an unknown order is kept, not lost.
func TestWebhookForgedStaleDuplicateAndOutOfOrder(t *testing.T) {
	s := newStack(t, paysagaProtocol, func(c *config.Config) {
		c.CheckoutBudget = 500 * time.Millisecond // answers 202: the webhook has not come
		c.AsyncAuthTimeout = time.Hour            // no fallback query during the test
	})
	// The sandbox sends no webhook here: the test plays the PG.
	cus, pm := s.customerWithCard(providersim.CardAsyncApprove)
	order := orderID()
	res := s.checkout(checkoutBody(cus, pm, order))
	require.Equal(t, 202, res.Status, "%s", res.Body)
	payID := res.json(t)["id"].(string)
	alpha := pg.NewHTTPClient("alpha", s.app.Config.SimURL+"/pg/alpha", http.DefaultClient)
	var pgPay pg.Payment
	require.Eventually(t, func() bool { // the sandbox decides after its async delay
		var err error
		pgPay, err = alpha.GetByIdempotencyKey(s.ctx, activities.AuthorizeKey(payID))
		return err == nil && pgPay.Status == "authorized"
	}, 5*time.Second, 50*time.Millisecond)

	secret := s.app.Config.PGWebhookSecret
	ev := providersim.WebhookEvent{EventID: "whe_1", Type: "payment.authorized", PaymentKey: pgPay.PaymentKey,
		OrderID: order, Status: "authorized", Amount: 15000, Currency: "KRW", At: time.Now()}
	status := func() string {
		return s.call("GET", "/v1/payments/"+payID, appKey, nil, nil).json(t)["status"].(string)
	}

	for name, r := range map[string]response{
		"forged":    s.pgWebhook(ev, "not-the-pg-secret-at-all", time.Now()),
		"stale":     s.pgWebhook(ev, secret, time.Now().Add(-10*time.Minute)),
		"future":    s.pgWebhook(ev, secret, time.Now().Add(10*time.Minute)),
		"unsigned":  s.call("POST", "/v1/webhooks/alpha", "", `{"event_id":"whe_1"}`, nil),
		"malformed": s.call("POST", "/v1/webhooks/alpha", "", `{}`, map[string]string{"PG-Signature": "v1=abc"}),
	} {
		require.Equal(t, 401, r.Status, "%s: %s", name, r.Body)
		require.Equal(t, "invalid_signature", r.json(t)["code"], name)
	}
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, "processing", status(), "nothing changed")
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_inbox`))

	// The genuine webhook completes the payment: one capture.
	first := s.pgWebhook(ev, secret, time.Now())
	require.Equal(t, 200, first.Status, "%s", first.Body)
	require.Equal(t, false, first.json(t)["duplicate"])
	require.Eventually(t, func() bool { return status() == "succeeded" }, 10*time.Second, 50*time.Millisecond)

	// The same webhook again (the PG retrying): 200, duplicate, nothing changes.
	again := s.pgWebhook(ev, secret, time.Now())
	require.Equal(t, 200, again.Status, "%s", again.Body)
	require.Equal(t, true, again.json(t)["duplicate"])
	// A late, contradicting event for the same payment: stored, changes nothing.
	late := ev
	late.EventID, late.Type, late.Status, late.Code = "whe_0", "payment.declined", "canceled", "CARD_DECLINED"
	require.Equal(t, 200, s.pgWebhook(late, secret, time.Now()).Status)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, "succeeded", status())
	recs := s.pgRecords(order)
	n, _ := count(recs, "capture")
	require.Equal(t, 1, n, "captured once")
	n, _ = count(recs, "cancel")
	require.Zero(t, n, "never voided")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_inbox WHERE event_id = 'whe_1'`))
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM events WHERE type = 'payment.succeeded'`), "one state change, one event")

	// A webhook for an order paysaga does not know is kept and acknowledged.
	unknown := ev
	unknown.EventID, unknown.OrderID = "whe_2", "o-unknown"
	require.Equal(t, 200, s.pgWebhook(unknown, secret, time.Now()).Status)
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_inbox WHERE event_id = 'whe_2' AND status = 'unmatched'`))
	// A provider that is not configured is 404.
	body, _ := json.Marshal(ev)
	r := s.call("POST", "/v1/webhooks/gamma", "", string(body), map[string]string{"PG-Signature": signature.Header(time.Now().Unix(), body, []byte(secret))})
	require.Equal(t, 404, r.Status)
}
