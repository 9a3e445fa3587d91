package e2e

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/client"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
)

// Benefit rules (issue 15): finance's partner-card rule for 현대 cards of BIN
// 411111 (the sandbox's approving card, as its Toss billing key reports it) earns 3% of the card part, a gold member twice that, and
// the customer's points per KST month stop at the rule set's cap even when
// eight checkouts run at once (the cap is a conditional update under the
// customer's and the month's row locks). The payment shows the version it used.
func TestPartnerCardEarnsPerRuleWithinMonthlyCap(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.PointsEarnBPS, c.PointsEarnAt = 100, config.PointsAtCapture })
	cus, pm := s.customerWithCard(providersim.CardApprove)
	_, err := s.pool.Exec(s.ctx, `UPDATE customers SET membership_tier = 'gold' WHERE id = $1`, cus)
	require.NoError(t, err)

	rs := s.call("POST", "/v1/benefit-rule-sets", financeKey, map[string]any{
		"currency": "KRW", "effective_from": time.Now().UTC().Format(time.RFC3339Nano), "monthly_points_cap": 4_000,
		"rules": []map[string]any{
			{"name": "partner-visa", "issuer": "현대", "bin_prefix": "411111", "points_bps": 300, "min_amount": 10_000},
		},
		"membership_multipliers": []map[string]any{{"tier": "gold", "multiplier_bps": 20_000}},
	}, nil)
	require.Equal(t, 201, rs.Status, "%s", rs.Body)
	version := rs.json(t)["version"]

	body := checkoutBody(cus, pm, orderID())
	body["amount"] = 50_000
	body["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 50_000}}
	res := s.checkout(body)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"])
	require.EqualValues(t, 3_000, pay["points_earned"], "3% of 50,000, doubled for gold")
	require.Equal(t, map[string]any{"rule_set_version": version, "rule": "partner-visa", "membership_tier": "gold",
		"points_rate_bps": float64(600), "points_to_earn": float64(3_000), "discount_amount": float64(0)}, pay["benefit"])

	// Eight more at once: 1,000 of the cap is left for all of them together.
	var wg sync.WaitGroup
	earned := make([]float64, 8)
	errs := make([]error, 8)
	for i := range earned {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := checkoutBody(cus, pm, orderID())
			b["amount"] = 50_000
			b["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 50_000}}
			buf, _ := json.Marshal(b)
			r, err := s.api.CreateCheckoutWithBodyWithResponse(s.ctx, &client.CreateCheckoutParams{IdempotencyKey: uuid.NewString()},
				"application/json", bytes.NewReader(buf), client.Bearer(appKey))
			if err != nil {
				errs[i] = err
				return
			}
			var p map[string]any
			if errs[i] = json.Unmarshal(r.Body, &p); errs[i] == nil {
				if p["status"] != "succeeded" {
					errs[i] = errStatus(r.StatusCode(), r.Body)
				}
				v, _ := p["points_earned"].(float64)
				earned[i] = v
			}
		}()
	}
	wg.Wait()
	var sum float64
	for i := range earned {
		require.NoError(t, errs[i])
		sum += earned[i]
	}
	require.EqualValues(t, 1_000, sum, "the monthly cap holds across concurrent checkouts")
	require.EqualValues(t, -4_000, s.balance(ledger.Points(cus)))
	got := s.call("GET", "/v1/points/"+cus, appKey, nil, nil)
	require.EqualValues(t, 4_000, got.json(t)["balance"])
	s.requireLedgerBalanced()
}

// Earning at purchase confirmation (the default): the partner card pays
// 50,000 for two producers; the checkout shows the points to earn and earns
// none; each item's confirmation earns the rule's rate of its share of the
// card part, as a bucket of its own, and the two add up to the rule's points.
func TestPartnerCardEarnsAtConfirmation(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.PointsEarnBPS = 100 })
	cus, pm := s.customerWithCard(providersim.CardApprove)
	rs := s.call("POST", "/v1/benefit-rule-sets", financeKey, map[string]any{
		"currency": "KRW", "effective_from": time.Now().UTC().Format(time.RFC3339Nano),
		"rules": []map[string]any{{"name": "partner", "issuer": "현대", "points_bps": 300}},
	}, nil)
	require.Equal(t, 201, rs.Status, "%s", rs.Body)

	body := checkoutBody(cus, pm, orderID())
	body["amount"] = 50_000
	body["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 30_000}, {"producer_id": "farm-b", "amount": 20_000}}
	res := s.checkout(body)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"])
	require.Nil(t, pay["points_earned"], "nothing earned before confirmation")
	require.EqualValues(t, 1_500, pay["benefit"].(map[string]any)["points_to_earn"])
	id := pay["id"].(string)

	for _, it := range []struct {
		producer string
		total    int64
	}{{"farm-a", 900}, {"farm-b", 1_500}} {
		c := s.call("POST", "/v1/payments/"+id+"/items/"+it.producer+"/confirm", appKey, map[string]any{}, nil)
		require.Equal(t, 200, c.Status, "%s", c.Body)
		require.EqualValues(t, -it.total, s.balance(ledger.Points(cus)), "after %s", it.producer)
	}
	got := s.call("GET", "/v1/payments/"+id, appKey, nil, nil)
	require.EqualValues(t, 1_500, got.json(t)["points_earned"])
	pts := s.call("GET", "/v1/points/"+cus, appKey, nil, nil).json(t)
	require.Len(t, pts["buckets"], 2, "one bucket per confirmed item")
	// A repeated confirmation earns nothing more.
	require.Equal(t, 200, s.call("POST", "/v1/payments/"+id+"/items/farm-a/confirm", appKey, map[string]any{}, nil).Status)
	require.EqualValues(t, -1_500, s.balance(ledger.Points(cus)))
	s.requireLedgerBalanced()
}

type statusError struct {
	status int
	body   string
}

func (e statusError) Error() string { return e.body }

func errStatus(status int, body []byte) error { return statusError{status, string(body)} }
