package e2e

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/verify"
)

// Refunds take back the points earned on the refunded part (issue 15, ADR
// 0023). A partner card pays 50,000 and its confirmation earns 3%: 1,500. A
// 10,000 refund takes back exactly 300 and the card gets all 10,000. The
// customer then spends 1,000 of the 1,200 left; a 20,000 refund owes 600,
// finds 200, and keeps the 400 it lacks back from the card refund (19,600 at
// the sandbox), saying so in its answer. The points never go below zero and
// paysaga verify holds.
func TestRefundTakesBackEarnedPointsAndTheShortfall(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.PointsEarnBPS = 100 })
	cus, pm := s.customerWithCard(providersim.CardApprove)
	rs := s.call("POST", "/v1/benefit-rule-sets", financeKey, map[string]any{
		"currency": "KRW", "effective_from": time.Now().UTC().Format(time.RFC3339Nano),
		"rules": []map[string]any{{"name": "partner", "issuer": "현대", "points_bps": 300}},
	}, nil)
	require.Equal(t, 201, rs.Status, "%s", rs.Body)

	order := orderID()
	body := checkoutBody(cus, pm, order)
	body["amount"] = 50_000
	body["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 50_000}}
	res := s.checkout(body)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	id := res.json(t)["id"].(string)
	c := s.call("POST", "/v1/payments/"+id+"/items/farm-a/confirm", appKey, map[string]any{}, nil)
	require.Equal(t, 200, c.Status, "%s", c.Body)
	require.EqualValues(t, 1_500, s.points(cus), "3% of 50,000 at confirmation")

	refund := func(amount int64) map[string]any {
		r := s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": amount, "reason": "bruised"},
			map[string]string{"Idempotency-Key": orderID()})
		require.Equal(t, 201, r.Status, "%s", r.Body)
		return r.json(t)["refund"].(map[string]any)
	}
	rf := refund(10_000)
	require.EqualValues(t, 300, rf["points_reversed"], "a fifth of the points")
	require.EqualValues(t, 0, rf["points_shortfall"])
	require.EqualValues(t, 1_200, s.points(cus))
	_, cancelled := count(s.pgRecords(order), providersim.KindCancel)
	require.EqualValues(t, 10_000, cancelled, "the card got all of it back")

	s.spendPoints(cus, 1_000)
	rf = refund(20_000)
	require.EqualValues(t, 600, rf["points_reversed"])
	require.EqualValues(t, 400, rf["points_shortfall"], "600 owed, 200 left: 400 won kept back")
	require.Zero(t, s.points(cus), "never below zero")
	_, cancelled = count(s.pgRecords(order), providersim.KindCancel)
	require.EqualValues(t, 10_000+19_600, cancelled, "the card got 19,600 of the 20,000")
	require.EqualValues(t, 50_000-10_000-19_600, s.balance("pg:alpha:receivable"))
	got := s.call("GET", "/v1/payments/"+id, appKey, nil, nil)
	require.Contains(t, string(got.Body), ":points-reversed", "the timeline records each reversal")

	s.requireLedgerBalanced()
	rep, err := verify.Run(s.ctx, verify.Sources{Pool: s.pool, Sim: s.sim})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%s", rep)
}

// points is what GET /v1/points says the customer has.
func (s *stack) points(customerID string) int64 {
	s.t.Helper()
	r := s.call("GET", "/v1/points/"+customerID, appKey, nil, nil)
	require.Equal(s.t, 200, r.Status, "%s", r.Body)
	return int64(r.json(s.t)["balance"].(float64))
}

// spendPoints stands in for the points tender (built beside this one): n
// points leave the customer's buckets FIFO as a points_spend journal, under
// the customer's lock, as the tender books them.
func (s *stack) spendPoints(customerID string, n int64) {
	s.t.Helper()
	require.NoError(s.t, pgx.BeginFunc(s.ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.LockCustomer(s.ctx, customerID); err != nil {
			return err
		}
		bs, err := q.ListPointsBuckets(s.ctx, customerID)
		if err != nil {
			return err
		}
		left := n
		for _, b := range bs {
			k := min(left, b.Remaining)
			if _, err := tx.Exec(s.ctx, `UPDATE points_buckets SET remaining = remaining - $1 WHERE id = $2`, k, b.ID); err != nil {
				return err
			}
			left -= k
		}
		_, err = ledger.Post(s.ctx, q, ledger.Journal{Key: "test:spend:" + customerID, Kind: "points_spend", Postings: []ledger.Posting{
			{Account: ledger.Points(customerID), Currency: "KRW", Amount: n}, {Account: "test:points-redeemed", Currency: "KRW", Amount: -n}}})
		return err
	}))
}
