package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
)

// Points (issue 15): a captured card payment earns the configured rate of its
// card part, once, as one bucket valid for five years; the customer's points
// read back from GET /v1/points and the ledger owes exactly that.
func TestCardPaymentEarnsPointsAtCapture(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.PointsEarnBPS, c.PointsEarnAt = 150, config.PointsAtCapture })
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	body := checkoutBody(cus, pm, order)
	body["amount"] = 50000
	body["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 50000}}

	res := s.checkout(body)

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"])
	require.EqualValues(t, 750, pay["points_earned"], "1.5% of 50,000")

	got := s.call("GET", "/v1/points/"+cus, appKey, nil, nil)
	require.Equal(t, 200, got.Status, "%s", got.Body)
	pts := got.json(t)
	require.EqualValues(t, 750, pts["balance"])
	buckets := pts["buckets"].([]any)
	require.Len(t, buckets, 1)
	b := buckets[0].(map[string]any)
	require.EqualValues(t, 750, b["remaining"])
	require.Equal(t, pay["id"], b["payment_id"])
	earned, err := time.Parse(time.RFC3339Nano, b["earned_at"].(string))
	require.NoError(t, err)
	expires, err := time.Parse(time.RFC3339Nano, b["expires_at"].(string))
	require.NoError(t, err)
	require.Equal(t, 5*365*24*time.Hour, expires.Sub(earned), "default validity")

	require.EqualValues(t, -750, s.balance(ledger.Points(cus)))
	require.EqualValues(t, 750, s.balance(ledger.PointsFunding))
	require.EqualValues(t, 50000, s.balance("pg:alpha:receivable"), "points change nothing of the payment's own booking")
	s.requireLedgerBalanced()

	// The same checkout again (a retry with another key) is a duplicate order: no more points.
	require.Equal(t, 409, s.checkout(body).Status)
	require.EqualValues(t, -750, s.balance(ledger.Points(cus)))
}
