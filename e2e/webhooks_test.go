package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters/portone"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

// enablePGWebhooks points the sandbox PGs' webhooks at this stack.
func (s *stack) enablePGWebhooks() {
	s.t.Helper()
	secrets := map[string]string{}
	for _, name := range s.app.Config.PGs() {
		secrets[name] = s.app.Config.PortOneWebhookSecret(name)
	}
	require.NoError(s.t, s.sim.SetWebhooks(s.ctx, providersim.WebhookConfig{URL: s.url + "/v1/webhooks", Secret: s.app.Config.PGWebhookSecret,
		PortOneSecrets: secrets}))
}

// portonePrimary puts PG alpha on the PortOne protocol, whose PAY_PENDING
// payments are decided later and announced by signed webhooks.
func portonePrimary(c *config.Config) { c.PGConnectors["alpha"] = config.ConnectorPortOne }

// portoneWebhook posts a PortOne webhook about paymentID as PG alpha would,
// signed (Standard Webhooks) with secret at time at; an empty secret: unsigned.
func (s *stack) portoneWebhook(typ, paymentID, webhookID, secret string, at time.Time) response {
	s.t.Helper()
	body := `{"type":"` + typ + `","timestamp":"` + at.UTC().Format(time.RFC3339) + `","data":{"paymentId":"` + paymentID +
		`","storeId":"store-00000000-0000-0000-0000-000000000000","transactionId":"` + paymentID + `-tx"}}`
	var h map[string]string
	if secret != "" {
		signed, err := portone.SignWebhook(secret, webhookID, at, []byte(body))
		require.NoError(s.t, err)
		h = s.headers(signed)
	}
	return s.call("POST", "/v1/webhooks/alpha", "", body, h)
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

// A card the PG decides later: PortOne answers the billing-key payment
// PAY_PENDING, the sandbox decides and POSTs Transaction.Paid (signed), the
// verified webhook is confirmed by a look-up and signals the checkout, which
// books; all inside the HTTP call's budget. One approval at the sandbox.
func TestWebhookAsyncAuthorizationCompletesThroughTheWebhook(t *testing.T) {
	s := newStack(t, portonePrimary)
	s.enablePGWebhooks()
	cus, pm := s.customerWithCard(providersim.CardAsyncApprove)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"], "%s", res.Body)
	require.Equal(t, "alpha", pay["pg"])
	got := s.call("GET", "/v1/payments/"+pay["id"].(string), opsKey, nil, nil).json(t)
	steps := timeline(t, got)
	require.Contains(t, steps, "authorization_pending")
	require.Equal(t, "webhook", steps["authorization_authorized"]["source"], "decided by the webhook, not a query")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'alpha' AND status = 'delivered' AND event_type = 'Transaction.Paid' AND payment_key = $1`, pay["id"]))
	s.requireChargedOnce(order, 15000)
	n, _ := count(s.pgRecords(order), "cancel")
	require.Zero(t, n, "nothing voided")
	s.requireLedgerBalanced()
}

// The PG refuses the pending payment later (Transaction.Failed): the checkout
// fails with the decline and nothing is open at the PG or in the ledger.
func TestWebhookAsyncDeclineFailsThePayment(t *testing.T) {
	s := newStack(t, portonePrimary)
	s.enablePGWebhooks()
	cus, pm := s.customerWithCard(providersim.CardAsyncDecline)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "failed", pay["status"])
	require.Equal(t, "card_declined", pay["failure"].(map[string]any)["code"])
	got := s.call("GET", "/v1/payments/"+pay["id"].(string), opsKey, nil, nil).json(t)
	require.Equal(t, "webhook", timeline(t, got)["authorization_declined"]["source"])
	require.Empty(t, s.pgRecords(order), "nothing authorized, captured or voided")
	require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions`))
}

// Forged, stale and unsigned PortOne webhooks about a pending payment are 401
// and change nothing; the genuine one completes the payment; a duplicate and a
// late contradicting event change nothing more; one about a payment the PG does
// not know is 401 (the look-up does not confirm it).
func TestWebhookForgedStaleDuplicateAndOutOfOrder(t *testing.T) {
	s := newStack(t, portonePrimary, func(c *config.Config) {
		c.CheckoutBudget = 500 * time.Millisecond // answers 202: the webhook has not come
		c.AsyncAuthTimeout = time.Hour            // no fallback query during the test
	})
	// The sandbox sends no webhook here: the test plays the PG.
	cus, pm := s.customerWithCard(providersim.CardAsyncApprove)
	order := orderID()
	res := s.checkout(checkoutBody(cus, pm, order))
	require.Equal(t, 202, res.Status, "%s", res.Body)
	payID := res.json(t)["id"].(string)
	require.Eventually(t, func() bool { // the sandbox decides after its async delay
		n, _ := count(s.pgRecords(order), "capture")
		return n == 1
	}, 5*time.Second, 50*time.Millisecond)
	status := func() string {
		return s.call("GET", "/v1/payments/"+payID, appKey, nil, nil).json(t)["status"].(string)
	}
	secret := s.app.Config.PortOneWebhookSecret("alpha")

	for name, r := range map[string]response{
		"forged":   s.portoneWebhook("Transaction.Paid", payID, "msg_1", "whsec_Zm9yZ2VkLWtleS1vZi1hbi1hdHRhY2tlcg==", time.Now()),
		"stale":    s.portoneWebhook("Transaction.Paid", payID, "msg_1", secret, time.Now().Add(-10*time.Minute)),
		"future":   s.portoneWebhook("Transaction.Paid", payID, "msg_1", secret, time.Now().Add(10*time.Minute)),
		"unsigned": s.portoneWebhook("Transaction.Paid", payID, "msg_1", "", time.Now()),
	} {
		require.Equal(t, 401, r.Status, "%s: %s", name, r.Body)
		require.Equal(t, "invalid_signature", r.json(t)["code"], name)
	}
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, "processing", status(), "nothing changed")
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_inbox`))

	// The genuine webhook completes the payment: one approval.
	first := s.portoneWebhook("Transaction.Paid", payID, "msg_1", secret, time.Now())
	require.Equal(t, 200, first.Status, "%s", first.Body)
	require.Equal(t, false, first.json(t)["duplicate"])
	require.Eventually(t, func() bool { return status() == "succeeded" }, 10*time.Second, 50*time.Millisecond)

	// The same webhook again (PortOne retrying keeps the webhook-id): 200, duplicate.
	again := s.portoneWebhook("Transaction.Paid", payID, "msg_1", secret, time.Now())
	require.Equal(t, 200, again.Status, "%s", again.Body)
	require.Equal(t, true, again.json(t)["duplicate"])
	// A late, contradicting event: the look-up says PAID, so nothing changes.
	require.Equal(t, 200, s.portoneWebhook("Transaction.Failed", payID, "msg_0", secret, time.Now()).Status)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, "succeeded", status())
	s.requireChargedOnce(order, 15000)
	n, _ := count(s.pgRecords(order), "cancel")
	require.Zero(t, n, "never voided")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM webhook_inbox WHERE event_id = 'msg_1'`))
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM events WHERE type = 'payment.succeeded'`), "one state change, one event")

	// A payment the PG does not know: the look-up does not confirm it.
	unknown := s.portoneWebhook("Transaction.Paid", "pay-unknown-0000", "msg_2", secret, time.Now())
	require.Equal(t, 401, unknown.Status, "%s", unknown.Body)
	require.Equal(t, "unverified_webhook", unknown.json(t)["code"])
	// A provider that is not configured is 404.
	r := s.call("POST", "/v1/webhooks/gamma", "", `{}`, nil)
	require.Equal(t, 404, r.Status)
}
