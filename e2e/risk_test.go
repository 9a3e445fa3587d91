package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
)

// bigCheckout is a checkout of amount for one producer.
func bigCheckout(customerID, methodID, order string, amount int64) map[string]any {
	return map[string]any{
		"order_id": order, "customer_id": customerID, "currency": "KRW", "amount": amount,
		"items":   []map[string]any{{"producer_id": "farm-a", "amount": amount}},
		"payment": map[string]any{"method_id": methodID},
	}
}

func (s *stack) pinToken(customerID, pin string) string {
	s.t.Helper()
	res := s.call("POST", "/v1/customers/"+customerID+"/pin/verify", appKey, map[string]any{"pin": pin}, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	return res.json(s.t)["pin_token"].(string)
}

func (s *stack) auditRows(action, object string) int {
	s.t.Helper()
	return s.rows(`SELECT count(*) FROM audit_log WHERE action = $1 AND object = $2`, action, object)
}

func TestStepUpNeedsThePINAndWrongPINsLockIt(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.StepUpAmount = 100_000 })
	cus, pm := s.customerWithCard(providersim.CardApprove)

	res := s.call("POST", "/v1/customers/"+cus+"/pin", appKey, map[string]any{"pin": "135790"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, 1, s.auditRows("pin.set", "customer:"+cus))
	require.NotContains(t, s.logs.String(), "135790", "the PIN is never logged")

	// Above the step-up amount without a PIN: 403 and nothing started or moved.
	order := orderID()
	body := bigCheckout(cus, pm, order, 150_000)
	key := uuid.NewString()
	res = s.call("POST", "/v1/checkouts", appKey, body, map[string]string{"Idempotency-Key": key})
	require.Equal(t, 403, res.Status, "%s", res.Body)
	require.Equal(t, "step_up_required", res.json(t)["code"])
	require.Zero(t, s.rows(`SELECT count(*) FROM payments WHERE order_id = $1`, order), "no payment row")
	require.Empty(t, s.pgRecords(order), "nothing at the PG")

	// With a PIN token, under the same Idempotency-Key: it goes through.
	body["pin_token"] = s.pinToken(cus, "135790")
	res = s.call("POST", "/v1/checkouts", appKey, body, map[string]string{"Idempotency-Key": key})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "succeeded", res.json(t)["status"])
	s.requireChargedOnce(order, 150_000)
	require.NotContains(t, s.rawHistory("checkout-"+order), body["pin_token"], "the token is not in the history")

	// A spent token does not pay a second order.
	body2 := bigCheckout(cus, pm, orderID(), 150_000)
	body2["pin_token"] = body["pin_token"]
	res = s.checkout(body2)
	require.Equal(t, 403, res.Status, "%s", res.Body)
	require.Equal(t, "pin_token_invalid", res.json(t)["code"])

	// Five wrong PINs lock it; then even the right one is refused.
	for i := 1; i <= 5; i++ {
		res = s.call("POST", "/v1/customers/"+cus+"/pin/verify", appKey, map[string]any{"pin": "000000"}, nil)
		want := 403
		if i == 5 {
			want = 423
		}
		require.Equal(t, want, res.Status, "try %d: %s", i, res.Body)
	}
	res = s.call("POST", "/v1/customers/"+cus+"/pin/verify", appKey, map[string]any{"pin": "135790"}, nil)
	require.Equal(t, 423, res.Status, "%s", res.Body)
	require.Equal(t, "pin_locked", res.json(t)["code"])

	// A reset needs a fresh identity verification of this customer, used once.
	res = s.call("POST", "/v1/customers/"+cus+"/pin/reset", appKey, map[string]any{"identity_verification_id": "idv_nope", "new_pin": "246802"}, nil)
	require.Equal(t, 404, res.Status, "%s", res.Body)
	idv, code := s.startVerification(cus)
	res = s.call("POST", "/v1/customers/"+cus+"/pin/reset", appKey, map[string]any{"identity_verification_id": idv, "new_pin": "246802"}, nil)
	require.Equal(t, 403, res.Status, "not verified yet: %s", res.Body)
	require.Equal(t, "verified", s.confirm(idv, code)["status"])
	res = s.call("POST", "/v1/customers/"+cus+"/pin/reset", appKey, map[string]any{"identity_verification_id": idv, "new_pin": "246802"}, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	res = s.call("POST", "/v1/customers/"+cus+"/pin/reset", appKey, map[string]any{"identity_verification_id": idv, "new_pin": "111111"}, nil)
	require.Equal(t, 403, res.Status, "a verification resets once: %s", res.Body)
	require.Equal(t, 1, s.auditRows("pin.reset", "customer:"+cus))
	s.pinToken(cus, "246802") // the lock is gone with the old PIN

	// Change needs the current PIN.
	res = s.call("POST", "/v1/customers/"+cus+"/pin/change", appKey, map[string]any{"current_pin": "246802", "new_pin": "975310"}, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	require.Equal(t, 1, s.auditRows("pin.changed", "customer:"+cus))
	require.Equal(t, 3, s.rows(`SELECT count(*) FROM audit_log WHERE action LIKE 'pin.%'`), "set, reset, change: one row each")
	require.NotContains(t, s.logs.String(), "246802")
}

func TestNewDeviceNeedsStepUp(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.Equal(t, 201, s.call("POST", "/v1/customers/"+cus+"/pin", appKey, map[string]any{"pin": "135790"}, nil).Status)

	first := checkoutBody(cus, pm, orderID())
	first["device_id"] = "phone-1"
	res := s.checkout(first)
	require.Equal(t, 201, res.Status, "the first device is trusted: %s", res.Body)

	other := checkoutBody(cus, pm, orderID())
	other["device_id"] = "laptop-9"
	res = s.checkout(other)
	require.Equal(t, 403, res.Status, "%s", res.Body)
	require.Equal(t, "step_up_required", res.json(t)["code"])
	other["pin_token"] = s.pinToken(cus, "135790")
	res = s.checkout(other)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	delete(other, "pin_token")
	other["order_id"] = orderID()
	require.Equal(t, 201, s.checkout(other).Status, "known after the step-up")
}

func TestPINIsNotDisclosedToAnotherCustomersKey(t *testing.T) {
	s := newStack(t)
	cus, _ := s.customerWithCard(providersim.CardApprove)
	other, _ := s.customerWithCard(providersim.CardApprove)
	scoped, err := api.NewAPIKey(s.ctx, db.New(s.pool), "app", "scoped", other)
	require.NoError(t, err)
	require.Equal(t, 201, s.call("POST", "/v1/customers/"+cus+"/pin", appKey, map[string]any{"pin": "135790"}, nil).Status)

	for _, path := range []string{"/pin", "/pin/verify"} {
		res := s.call("POST", "/v1/customers/"+cus+path, scoped, map[string]any{"pin": "135790"}, nil)
		require.Equal(t, 404, res.Status, "%s: %s", path, res.Body)
		require.Equal(t, "customer_not_found", res.json(t)["code"])
	}
	res := s.call("POST", "/v1/customers/nobody/pin/verify", scoped, map[string]any{"pin": "135790"}, nil)
	require.Equal(t, 404, res.Status)
	require.Equal(t, "customer_not_found", res.json(t)["code"], "the same answer as for a customer with a PIN")
}

func TestPINAndRuleBadInputIs4xxAndChangesNothing(t *testing.T) {
	s := newStack(t)
	cus, _ := s.customerWithCard(providersim.CardApprove)
	for _, pin := range []any{"12345", "12345a", "1234567", "", 123456} {
		res := s.call("POST", "/v1/customers/"+cus+"/pin", appKey, map[string]any{"pin": pin}, nil)
		require.Contains(t, []int{400, 422}, res.Status, "%v: %s", pin, res.Body)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	}
	for _, rule := range []map[string]any{
		{"name": "neg", "kind": "count", "dimension": "customer", "window_seconds": -60, "threshold": 3, "action": "block"},
		{"name": "zero", "kind": "count", "dimension": "customer", "window_seconds": 60, "threshold": 0, "action": "block"},
		{"name": "dim", "kind": "count", "dimension": "planet", "window_seconds": 60, "threshold": 3, "action": "block"},
	} {
		res := s.call("POST", "/v1/risk/rules", opsKey, rule, nil)
		require.Equal(t, 422, res.Status, "%v: %s", rule, res.Body)
	}
	res := s.call("POST", "/v1/risk/blocklist", opsKey, map[string]any{"kind": "bank_account", "value": "1234"}, nil)
	require.Equal(t, 422, res.Status, "%s", res.Body)
	res = s.call("POST", "/v1/risk/rules", appKey, map[string]any{"name": "x"}, nil)
	require.Equal(t, 403, res.Status, "the app key cannot manage rules")
	require.Zero(t, s.rows(`SELECT count(*) FROM payment_pins`))
	require.Zero(t, s.rows(`SELECT count(*) FROM risk_rules`))
	require.Zero(t, s.rows(`SELECT count(*) FROM audit_log WHERE action NOT LIKE 'api_key.%'`), "only the stack's keys")
}

func TestCardTestingBurstBlocksTheNextCheckout(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardDecline)
	for i := 0; i < 10; i++ {
		res := s.checkout(checkoutBody(cus, pm, orderID()))
		require.Equal(t, 201, res.Status, "%s", res.Body)
		require.Equal(t, "card_declined", res.json(t)["failure"].(map[string]any)["code"], "decline %d", i+1)
	}
	order := orderID()
	res := s.checkout(checkoutBody(cus, pm, order))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "failed", pay["status"])
	require.Equal(t, "risk_blocked", pay["failure"].(map[string]any)["code"])
	require.Empty(t, s.pgRecords(order), "the 11th never reached the PG")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM events WHERE type = 'risk.card_testing_detected' AND subject_id = $1`, cus))
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM risk_blocklist WHERE kind = 'customer' AND value = $1 AND created_by = 'risk:card_testing'`, cus))
	steps := s.rows(`SELECT count(*) FROM payment_events WHERE payment_id = $1 AND step = 'risk_evaluated' AND detail->>'rule' = 'card_testing'`, pay["id"])
	require.Equal(t, 1, steps, "the rule that fired is on the timeline")
}

func TestBlocklistedFingerprintFailsWithRiskBlocked(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	res := s.checkout(checkoutBody(cus, pm, orderID()))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	var fp string
	require.NoError(t, s.pool.QueryRow(s.ctx, `SELECT detail->>'fingerprint' FROM payment_events WHERE payment_id = $1 AND step = 'risk_evaluated'`,
		res.json(t)["id"]).Scan(&fp))
	require.NotEmpty(t, fp)

	res = s.call("POST", "/v1/risk/blocklist", opsKey, map[string]any{"kind": "card_fingerprint", "value": fp, "reason": "chargebacks"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	entry := res.json(t)["id"].(string)
	require.Equal(t, 1, s.auditRows("blocklist.added", "blocklist:"+entry))

	// The same card registered by another customer is refused before the PG.
	cus2, pm2 := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	res = s.checkout(checkoutBody(cus2, pm2, order))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "risk_blocked", res.json(t)["failure"].(map[string]any)["code"])
	require.Empty(t, s.pgRecords(order))
	require.Zero(t, s.balance("wallet:"+cus2))

	require.Equal(t, 204, s.call("DELETE", "/v1/risk/blocklist/"+entry, opsKey, nil, nil).Status)
	require.Equal(t, 1, s.auditRows("blocklist.removed", "blocklist:"+entry))
	res = s.checkout(checkoutBody(cus2, pm2, orderID()))
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)

	res = s.call("GET", "/v1/audit?action=blocklist.added", opsKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	entries := res.json(t)["entries"].([]any)
	require.Len(t, entries, 1)
	require.Equal(t, "ops", entries[0].(map[string]any)["actor_role"])
	require.Equal(t, 403, s.call("GET", "/v1/audit", appKey, nil, nil).Status)
}

func TestAuditLogRefusesUpdateAndDelete(t *testing.T) {
	s := newStack(t)
	res := s.call("POST", "/v1/risk/rules", opsKey, map[string]any{
		"name": "n", "kind": "count", "dimension": "ip", "window_seconds": 60, "threshold": 100, "action": "block"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	rule := res.json(t)["id"].(string)
	require.Equal(t, 200, s.call("PATCH", "/v1/risk/rules/"+rule, opsKey, map[string]any{"enabled": false}, nil).Status)
	require.Equal(t, 1, s.auditRows("risk_rule.created", "risk_rule:"+rule))
	require.Equal(t, 1, s.auditRows("risk_rule.updated", "risk_rule:"+rule))

	_, err := s.pool.Exec(s.ctx, `UPDATE audit_log SET actor_key = 'someone-else'`)
	require.ErrorContains(t, err, "append-only")
	_, err = s.pool.Exec(s.ctx, `DELETE FROM audit_log`)
	require.ErrorContains(t, err, "append-only")
	_, err = s.pool.Exec(s.ctx, `TRUNCATE audit_log`)
	require.ErrorContains(t, err, "append-only")
	require.Equal(t, 2, s.rows(`SELECT count(*) FROM audit_log WHERE action LIKE 'risk_rule.%'`))
}

// TestVelocityLimitHoldsAcrossTwoAPIProcesses sends 100 concurrent checkouts
// of one customer through two `paysaga api` OS processes, each with its own
// worker (so the sagas, and their risk evaluations, run in three processes
// over one database): exactly the rule's threshold get through, counted at
// the database and at the sandbox.
func TestVelocityLimitHoldsAcrossTwoAPIProcesses(t *testing.T) {
	// A budget long enough that a loaded test machine answers every request with its outcome.
	s := newStack(t, func(c *config.Config) { c.RateLimit, c.CheckoutBudget = 0, time.Minute })
	cus, pm := s.customerWithCard(providersim.CardApprove)
	// A threshold high in the burst, so many evaluations overlap below it:
	// without the counters' locks, some pass together (seen: 41 of 40).
	const limit = 40
	res := s.call("POST", "/v1/risk/rules", opsKey, map[string]any{
		"name": "40 per hour", "kind": "count", "dimension": "customer", "window_seconds": 3600, "threshold": limit, "action": "block"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	urls := []string{
		startAPIProcess(t, s, time.Minute, "PAYSAGA_EMBED_WORKER=true").url,
		startAPIProcess(t, s, time.Minute, "PAYSAGA_EMBED_WORKER=true").url,
	}

	const n = 100
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = postJSON(t, urls[i%2]+"/v1/checkouts", checkoutBody(cus, pm, fmt.Sprintf("o-vel-%d-%s", i, uuid.NewString()[:8])))
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		require.Contains(t, []int{201, 202}, st, "request %d", i)
	}
	require.Eventually(t, func() bool {
		return s.rows(`SELECT count(*) FROM risk_attempts WHERE customer_id = $1`, cus) == n
	}, 2*time.Minute, 200*time.Millisecond)
	require.Equal(t, limit, s.rows(`SELECT count(*) FROM risk_attempts WHERE customer_id = $1 AND decision = 'allow'`, cus))
	require.Eventually(t, func() bool {
		return s.rows(`SELECT count(*) FROM payments WHERE customer_id = $1 AND status = 'succeeded'`, cus) == limit &&
			s.rows(`SELECT count(*) FROM payments WHERE customer_id = $1 AND failure_code = 'risk_blocked'`, cus) == n-limit
	}, 2*time.Minute, 200*time.Millisecond)
	auths, err := s.sim.Records(s.ctx, providersim.RecordFilter{Kind: "authorize"})
	require.NoError(t, err)
	require.Len(t, auths, limit, "only the allowed ones reached the PG")
}

// TestRateLimitIsSharedByTwoAPIProcesses: 1 request a second per key (bursts
// of 2) through two `paysaga api` processes. 60 concurrent requests of one key
// get at most the burst plus what refilled while they ran, not a burst per
// process; every other answer is 429 rate_limited.
func TestRateLimitIsSharedByTwoAPIProcesses(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.RateLimit = 0 })
	urls := []string{
		startAPIProcess(t, s, 5*time.Second, "PAYSAGA_RATE_LIMIT=1").url,
		startAPIProcess(t, s, 5*time.Second, "PAYSAGA_RATE_LIMIT=1").url,
	}
	const n = 60
	var wg sync.WaitGroup
	statuses := make([]int, n)
	began := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(s.ctx, "GET", urls[i%2]+"/v1/risk/rules", nil)
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Authorization", "Bearer "+opsKey)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	took := time.Since(began)
	ok, limited := 0, 0
	for _, st := range statuses {
		switch st {
		case 200:
			ok++
		case 429:
			limited++
		}
	}
	t.Logf("%d allowed, %d limited in %s", ok, limited, took)
	require.Equal(t, n, ok+limited, "%v", statuses)
	require.GreaterOrEqual(t, ok, 1)
	require.LessOrEqual(t, float64(ok), 2+took.Seconds()+0.001, "one bucket for both processes: the burst (2) plus 1/s")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM api_rate_buckets`), "the bucket is in PostgreSQL")
}

// postJSON posts body with the app key under one Idempotency-Key, retrying a
// 5xx with the same key as the API tells clients to (a loaded test machine
// can make the Temporal start time out); safe in a goroutine (t.Error only).
func postJSON(t *testing.T, url string, body any) int {
	b, err := json.Marshal(body)
	if err != nil {
		t.Error(err)
		return 0
	}
	key := uuid.NewString()
	status := 0
	for try := 0; try < 5; try++ {
		req, err := http.NewRequestWithContext(t.Context(), "POST", url, bytes.NewReader(b))
		if err != nil {
			t.Error(err)
			return 0
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+appKey)
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		rb, _ := io.ReadAll(res.Body)
		res.Body.Close()
		status = res.StatusCode
		if status < 500 {
			return status
		}
		t.Logf("%s: %d %s (retrying)", url, status, rb)
		time.Sleep(time.Second)
	}
	return status
}

// TestBlocklistedBINFailsWithRiskBlocked: a bin entry (a 6-8 digit prefix of
// the card BIN the PG showed when the card was registered) refuses every card
// of that BIN before the PG, whoever registered it; another BIN still pays.
func TestBlocklistedBINFailsWithRiskBlocked(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM payment_methods WHERE id = $1 AND card_bin = '411111'`, pm), "the BIN is stored")
	res := s.call("POST", "/v1/risk/blocklist", opsKey, map[string]any{"kind": "bin", "value": "411111", "reason": "stolen BIN range"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	entry := res.json(t)["id"].(string)
	require.Equal(t, 1, s.auditRows("blocklist.added", "blocklist:"+entry))

	order := orderID()
	res = s.checkout(checkoutBody(cus, pm, order))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "risk_blocked", pay["failure"].(map[string]any)["code"])
	require.Empty(t, s.pgRecords(order), "never reached the PG")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM payment_events WHERE payment_id = $1 AND step = 'risk_evaluated' AND detail->>'rule' = 'blocklist:bin'`, pay["id"]))

	cus2, pm2 := s.customerWithCard(providersim.CardApproveCheck) // BIN 555555
	res = s.checkout(checkoutBody(cus2, pm2, orderID()))
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)

	for _, bad := range []string{"41111", "4111111111", "41111a", ""} {
		res := s.call("POST", "/v1/risk/blocklist", opsKey, map[string]any{"kind": "bin", "value": bad}, nil)
		require.Equal(t, 422, res.Status, "%q: %s", bad, res.Body)
	}
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM risk_blocklist WHERE kind = 'bin'`))
}
