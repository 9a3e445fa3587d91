package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
)

// TestEverySensitiveActionLeavesOneAuditRow does each sensitive action the
// suite does once (API keys, producers and their holds, payout schedules, a
// refund retried under its key, webhook endpoints, a PIN) and finds exactly
// one audit row for each, with its actor, and no other row. Refused and
// repeated requests (a second revoke, a retried refund, a 404) add none.
func TestEverySensitiveActionLeavesOneAuditRow(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.CheckoutBudget = 2 * time.Second })
	seeded := s.rows(`SELECT count(*) FROM audit_log`) // the stack's three keys
	require.Equal(t, 3, s.rows(`SELECT count(*) FROM audit_log WHERE action = 'api_key.created' AND actor_role = 'system'`))
	want := map[[2]string]string{} // action, object -> the actor's role

	// An API key made and revoked at the CLI.
	q := db.New(s.pool)
	by := api.KeyActor{ID: "cli:e2e", Role: "operator"}
	plain, err := api.NewAPIKeyBy(s.ctx, q, by, "ops", "audited", "")
	require.NoError(t, err)
	key, err := q.GetAPIKeyByHash(s.ctx, api.HashKey(plain))
	require.NoError(t, err)
	revoked, err := api.RevokeAPIKey(s.ctx, q, by, key.ID)
	require.NoError(t, err)
	require.True(t, revoked)
	revoked, err = api.RevokeAPIKey(s.ctx, q, by, key.ID)
	require.NoError(t, err)
	require.False(t, revoked, "already revoked: nothing changes")
	want[[2]string{"api_key.created", "api_key:" + key.ID}] = "operator"
	want[[2]string{"api_key.revoked", "api_key:" + key.ID}] = "operator"

	// A producer, held and released.
	prod := "aud-" + uuid.NewString()[:8]
	res := s.call("POST", "/v1/producers", financeKey, map[string]any{"id": prod, "name": "farm", "settlement_days": 0,
		"business_registration_number": "1234567891",
		"bank_account":                 map[string]any{"bank_code": "004", "account_number": "1234567890123", "holder_name": "홍길동"}}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, 200, s.call("POST", "/v1/producers/"+prod+"/hold", financeKey, map[string]any{"reason": "dispute"}, nil).Status)
	require.Equal(t, 200, s.call("POST", "/v1/producers/"+prod+"/release", financeKey, nil, nil).Status)
	for _, a := range []string{"producer.created", "producer.held", "producer.released"} {
		want[[2]string{a, "producer:" + prod}] = "finance"
	}

	// A payout schedule: created, paused, triggered, deleted; a 404 adds nothing.
	sch := "aud-" + uuid.NewString()[:8]
	res = s.call("POST", "/v1/payout-schedules", financeKey, map[string]any{"id": sch, "cron": "0 10 1 1 *"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, 200, s.call("PATCH", "/v1/payout-schedules/"+sch, financeKey, map[string]any{"paused": true}, nil).Status)
	require.Equal(t, 202, s.call("POST", "/v1/payout-schedules/"+sch+"/trigger", financeKey, nil, nil).Status)
	require.Equal(t, 204, s.call("DELETE", "/v1/payout-schedules/"+sch, financeKey, nil, nil).Status)
	require.Equal(t, 404, s.call("DELETE", "/v1/payout-schedules/"+sch, financeKey, nil, nil).Status)
	for _, a := range []string{"created", "updated", "triggered", "deleted"} {
		want[[2]string{"payout_schedule." + a, "payout_schedule:" + sch}] = "finance"
	}

	// A refund that outlasts the budget (202), then asked again under its key
	// until it answers: one row.
	cus, pm := s.customerWithCard(providersim.CardApprove)
	pay := s.checkout(checkoutBody(cus, pm, orderID())).json(t)
	require.Equal(t, "succeeded", pay["status"])
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "*", Op: providersim.OpCancel,
		Mode: providersim.ModeLatency, LatencyMS: 3500, Count: 1}))
	idem := map[string]string{"Idempotency-Key": uuid.NewString()}
	refundPath := "/v1/payments/" + pay["id"].(string) + "/refunds"
	res = s.call("POST", refundPath, appKey, map[string]any{"amount": 3000}, idem)
	require.Equal(t, 202, res.Status, "%s", res.Body)
	require.Eventually(t, func() bool {
		res = s.call("POST", refundPath, appKey, map[string]any{"amount": 3000}, idem)
		return res.Status == 201
	}, 30*time.Second, 200*time.Millisecond, "the retried refund answers")
	refund := res.json(t)["refund"].(map[string]any)["id"].(string)
	want[[2]string{"refund.requested", "refund:" + refund}] = "app"

	// A webhook endpoint: created, its secret rotated, deleted.
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(hooks.Close)
	ep, _ := s.registerEndpoint(hooks.URL)
	require.Equal(t, 200, s.call("POST", "/v1/webhook-endpoints/"+ep+"/rotate", appKey, nil, nil).Status)
	require.Equal(t, 204, s.call("DELETE", "/v1/webhook-endpoints/"+ep, appKey, nil, nil).Status)
	for _, a := range []string{"created", "secret_rotated", "deleted"} {
		want[[2]string{"webhook_endpoint." + a, "webhook_endpoint:" + ep}] = "app"
	}

	// A PIN (its set, change and reset are covered in risk_test.go).
	require.Equal(t, 201, s.call("POST", "/v1/customers/"+cus+"/pin", appKey, map[string]any{"pin": "135790"}, nil).Status)
	want[[2]string{"pin.set", "customer:" + cus}] = "app"

	for k, role := range want {
		require.Equal(t, 1, s.rows(`SELECT count(*) FROM audit_log WHERE action = $1 AND object = $2 AND actor_role = $3`, k[0], k[1], role),
			"one %s row for %s by %s", k[0], k[1], role)
	}
	require.Equal(t, seeded+len(want), s.rows(`SELECT count(*) FROM audit_log`), "no other row")
	require.Zero(t, s.rows(`SELECT count(*) FROM audit_log WHERE after::text LIKE '%1234567890123%' OR after::text LIKE '%whsec_%'`),
		"no account number or secret in the log")
}
