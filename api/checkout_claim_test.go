package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/risk"
	"github.com/paysaga/paysaga/workflows"
)

// POST /v1/checkouts claims its key in the statement that reads its facts
// (ClaimCheckout). Every outcome of a key used before still answers first,
// before any check: a stored answer is replayed even when the body would now
// be refused, another body under the key is 422 (also when it is invalid),
// a live claim is 409, and an expired one is taken over by the same request.
func TestCheckoutClaimAnswersEarlierRequestsFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cus := f.customer("co-claim")
	method := f.cardMethod(cus)
	body := func(order, customer string) checkoutBody {
		return checkoutBody{
			OrderID: order, CustomerID: customer, Currency: "KRW", Amount: 15000,
			Items: []checkoutItem{{"farm-a", 15000}}, Payment: map[string]any{"method_id": method},
		}
	}
	post := func(key, b string) response {
		return f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: b, idemKey: key})
	}
	hashOf := func(b string) []byte { return requestHash(http.MethodPost, "/v1/checkouts", []byte(b)) }
	claim := func(key, b string, lease time.Duration, holder string) {
		_, err := f.q.ClaimIdempotencyKey(ctx, db.ClaimIdempotencyKeyParams{
			ApiKeyID: f.keyIDs[roleApp], Key: key, RequestHash: hashOf(b),
			LockFor: pgtype.Interval{Microseconds: lease.Microseconds(), Valid: true}, Holder: holder,
		})
		require.NoError(t, err)
	}

	// A stored answer is replayed although its customer is unknown here (the
	// checks come after the claim statement, which found the answer).
	// The saved answer is a payment as GET renders it.
	savedOrder := unique("o-stored")
	_, err := f.q.CreatePayment(ctx, db.CreatePaymentParams{
		ID: "pay_saved_" + savedOrder, OrderID: savedOrder, CustomerID: cus, MethodID: text(method), Currency: "KRW", Amount: 15000,
		FeeAmount: 450, WorkflowID: workflows.CheckoutID(savedOrder),
	})
	require.NoError(t, err)
	saved := f.do(request{method: http.MethodGet, path: "/v1/payments/pay_saved_" + savedOrder, role: roleApp})
	require.Equal(t, http.StatusOK, saved.Code, saved.Body.String())
	stored := body(savedOrder, "cus_gone").String()
	claim("k-stored", stored, time.Minute, "earlier")
	require.NoError(t, f.q.CompleteIdempotencyKey(ctx, db.CompleteIdempotencyKeyParams{
		ApiKeyID: f.keyIDs[roleApp], Key: "k-stored", Holder: "earlier",
		ResponseStatus: pgtype.Int4{Int32: 201, Valid: true}, ResponseBody: saved.Body.Bytes(),
	}))
	res := post("k-stored", stored)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	require.Equal(t, "true", res.Header().Get(headerIdempotentReplayed))
	require.JSONEq(t, saved.Body.String(), res.Body.String())
	// Another body under it: 422, whether it is valid or would fail validation.
	post("k-stored", body(unique("o-other"), cus).String()).problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused)
	post("k-stored", `{"order_id":"x"}`).problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused)

	// A live claim (another request in flight): 409, its own checks not run.
	live := body(unique("o-live"), cus).String()
	claim("k-live", live, time.Minute, "in flight")
	post("k-live", live).problem(http.StatusConflict, codeIdempotencyKeyInUse)

	// A claim whose holder died: the same request takes it over and runs.
	order := unique("o-dead")
	dead := body(order, cus).String()
	claim("k-dead", dead, -time.Second, "a dead process")
	post("k-dead", body(order, "cus_gone").String()).problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused)
	res = post("k-dead", dead)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	require.True(t, f.workflowExists(workflows.CheckoutID(order)))
	require.Zero(t, f.count("idempotency_keys WHERE key = 'k-dead'"), "a 202 releases the key it took over")

	// Only the started checkout's workflow exists; the refused ones started none.
	require.EqualValues(t, 1, f.workflowsOnQueue())
}

// A checkout its checks refuse after the claim (unknown customer, step-up
// needed) gives the claim back: nothing is saved, and the same key with the
// corrected request runs.
func TestCheckoutRefusedAfterClaimFreesTheKey(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.StepUpAmount = 100_000 })
	cus := f.customer("co-refused")
	method := f.cardMethod(cus)
	order := unique("o-refused")
	b := checkoutBody{
		OrderID: order, CustomerID: "cus_nobody", Currency: "KRW", Amount: 150_000,
		Items: []checkoutItem{{"farm-a", 150_000}}, Payment: map[string]any{"method_id": method},
	}
	post := func() response {
		return f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: b.String(), idemKey: "k-refused"})
	}
	post().problem(http.StatusNotFound, codeCustomerNotFound)
	require.Zero(t, f.count("idempotency_keys"))

	b.CustomerID = cus
	post().problem(http.StatusForbidden, codeStepUpRequired)
	require.Zero(t, f.count("idempotency_keys"), "a 403 step-up saves nothing")
	require.False(t, f.workflowExists(workflows.CheckoutID(order)))

	b.Amount, b.Items = 15000, []checkoutItem{{"farm-a", 15000}}
	res := post()
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	require.True(t, f.workflowExists(workflows.CheckoutID(order)))
}

// Ops' step-up rules are kept in memory for PAYSAGA_RISK_RULE_CACHE_TTL. A
// rule created through this API applies at once; one written by another
// process (here: straight into PostgreSQL) applies once the TTL has passed.
func TestStepUpRuleAppliesWithinTheCacheTTL(t *testing.T) {
	const ttl = 5 * time.Second
	// A budget a loaded machine starts a workflow within (no worker: an admitted checkout is 202).
	f := newFixture(t, func(c *config.Config) { c.RiskRuleCacheTTL, c.CheckoutBudget = ttl, time.Second })
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f.s.stepUpRules.now = func() time.Time { return now }
	ctx := context.Background()
	cus := f.customer("co-rule")
	method := f.cardMethod(cus)
	checkout := func(customer string) response {
		b := checkoutBody{
			OrderID: unique("o-rule"), CustomerID: customer, Currency: "KRW", Amount: 15000,
			Items: []checkoutItem{{"farm-a", 15000}}, Payment: map[string]any{"method_id": method},
		}
		return f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: b.String(), idemKey: unique("k-rule")})
	}
	require.Equal(t, http.StatusAccepted, checkout(cus).Code, "no rule yet (and the empty rule set is cached)")

	// Another process adds a step-up rule every checkout of this customer breaks.
	_, err := f.q.CreateRiskRule(ctx, db.CreateRiskRuleParams{
		ID: unique("rule_other"), Name: "elsewhere", Kind: "amount", Dimension: "customer",
		WindowSeconds: 3600, Threshold: 1000, Action: "step_up", CreatedBy: "another process",
	})
	require.NoError(t, err)
	now = now.Add(ttl - time.Millisecond)
	require.Equal(t, http.StatusAccepted, checkout(cus).Code, "within the TTL the cached rules apply")
	now = now.Add(time.Millisecond)
	checkout(cus).problem(http.StatusForbidden, codeStepUpRequired)

	// Switched off through this API: applies at once, without waiting the TTL.
	rules, err := f.q.ListEnabledRiskRules(ctx, "step_up")
	require.NoError(t, err)
	require.Len(t, rules, 1)
	res := f.do(request{method: http.MethodPatch, path: "/v1/risk/rules/" + rules[0].ID, role: roleOps, body: `{"enabled":false}`})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, http.StatusAccepted, checkout(cus).Code)
}

// A step-up rule counts the allowed payments in its window for its dimension:
// customer, device and ip are totalled by the claim's statement, a card
// fingerprint (known only from the method) by a read after it. One payment
// below a count threshold of 2 passes, the second one in the window steps up.
func TestStepUpRulesCountTheirWindow(t *testing.T) {
	for _, dim := range []string{"customer", "device", "ip", "card_fingerprint"} {
		t.Run(dim, func(t *testing.T) {
			f := newFixture(t, func(c *config.Config) { c.CheckoutBudget = time.Second })
			ctx := context.Background()
			cus := f.customer("co-window-" + dim)
			method := f.cardMethod(cus)
			res := f.do(request{method: http.MethodPost, path: "/v1/risk/rules", role: roleOps, body: fmt.Sprintf(
				`{"name":"2 an hour","kind":"count","dimension":%q,"window_seconds":3600,"threshold":2,"action":"step_up"}`, dim)})
			require.Equal(t, http.StatusCreated, res.Code, res.Body.String())

			// Earlier payments that share only this rule's value with the next one.
			attempt := func(decision string) {
				a := db.RecordRiskAttemptParams{PaymentID: unique("pay_earlier"), CustomerID: unique("cus_other"),
					Currency: "KRW", Amount: 1000, Decision: decision}
				switch dim {
				case "customer":
					a.CustomerID = cus
				case "device":
					a.DeviceID = "phone-1"
				case "ip":
					a.Ip = "192.0.2.1" // httptest's peer address
				case "card_fingerprint":
					a.Fingerprint = risk.CardFingerprint("shinhan", "credit", "4242")
				}
				require.NoError(t, f.q.RecordRiskAttempt(ctx, a))
			}
			checkout := func() response {
				b := fmt.Sprintf(`{"order_id":%q,"customer_id":%q,"currency":"KRW","amount":15000,"device_id":"phone-1",`+
					`"items":[{"producer_id":"farm-a","amount":15000}],"payment":{"method_id":%q}}`, unique("o-window"), cus, method)
				return f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: b, idemKey: unique("k-window")})
			}
			attempt("allow")
			attempt("block") // a refused payment moved no money: not counted
			require.Equal(t, http.StatusAccepted, checkout().Code, "one allowed payment in the window: 1+1 <= 2")
			attempt("allow")
			p := checkout().problem(http.StatusForbidden, codeStepUpRequired)
			require.Contains(t, p["detail"], "risk rule")
		})
	}
}
