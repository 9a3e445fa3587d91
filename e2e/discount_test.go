package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/verify"
)

// Issue 15's instant discount: a partner card with a 10% discount rule pays
// 50,000; the sandbox captures 45,000, the answer shows the 5,000 discount,
// the producer's pending settlement is on 50,000 and the platform's discount
// account holds 5,000. Refunded in two slices (10,000, then the 40,000
// left), the card gets back 9,000 and 36,000 (45,000 in all), the discount
// is reversed exactly and every invariant holds.
func TestPartnerCardInstantDiscount(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	rs := s.call("POST", "/v1/benefit-rule-sets", financeKey, map[string]any{
		"currency": "KRW", "effective_from": time.Now().UTC().Format(time.RFC3339Nano), "monthly_discount_cap": 100_000,
		"rules": []map[string]any{{"name": "ten-off", "issuer": "현대", "discount_bps": 1_000, "min_amount": 30_000}},
	}, nil)
	require.Equal(t, 201, rs.Status, "%s", rs.Body)

	order := orderID()
	body := checkoutBody(cus, pm, order)
	body["amount"] = 50_000
	body["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 50_000}}
	res := s.checkout(body)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"])
	require.EqualValues(t, 50_000, pay["amount"])
	require.EqualValues(t, 5_000, pay["benefit"].(map[string]any)["discount_amount"])
	require.Equal(t, "ten-off", pay["benefit"].(map[string]any)["rule"])

	recs := s.pgRecords(order)
	n, charged := count(recs, providersim.KindAuthorize)
	require.Equal(t, 1, n)
	require.EqualValues(t, 45_000, charged, "the PG charged the card part less the discount")
	_, captured := count(recs, providersim.KindCapture)
	require.EqualValues(t, 45_000, captured)
	require.EqualValues(t, -50_000, s.balance(ledger.ProducerPending("farm-a")), "the producer's sale is the full amount")
	require.EqualValues(t, 5_000, s.balance(ledger.InstantDiscounts), "the platform funds the discount")

	id := pay["id"].(string)
	for _, amount := range []int64{10_000, 40_000} {
		r := s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": amount, "reason": "returned"}, map[string]string{"Idempotency-Key": orderID()})
		require.Equal(t, 201, r.Status, "%s", r.Body)
	}
	var cancels []int64
	for _, r := range s.pgRecords(order) {
		if r.Kind == providersim.KindCancel {
			cancels = append(cancels, r.Amount)
		}
	}
	require.Equal(t, []int64{9_000, 36_000}, cancels, "the card gets back what it paid, in proportion")
	require.Zero(t, s.balance(ledger.InstantDiscounts), "the discount is reversed exactly")
	require.Zero(t, s.balance(ledger.ProducerPending("farm-a")))
	s.requireLedgerBalanced()
	rep, err := verify.Run(s.ctx, verify.Sources{Pool: s.pool, Sim: s.sim})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%s", rep)
	require.Positive(t, rep.Get(verify.DiscountsReconcile).Checked)
}
