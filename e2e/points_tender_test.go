package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
)

// pointsBalance is the customer's points as GET /v1/points shows them.
func (s *stack) pointsBalance(customerID string) int64 {
	s.t.Helper()
	res := s.call("GET", "/v1/points/"+customerID, appKey, nil, nil)
	require.Equal(s.t, 200, res.Status, "%s", res.Body)
	return int64(res.json(s.t)["balance"].(float64))
}

func tenderBody(customerID, methodID, order string, wallet, points int64) map[string]any {
	return map[string]any{
		"order_id": order, "customer_id": customerID, "currency": "KRW", "amount": 50_000,
		"items":   []map[string]any{{"producer_id": "farm-a", "amount": 30_000}, {"producer_id": "farm-b", "amount": 20_000}},
		"payment": map[string]any{"method_id": methodID, "wallet_amount": wallet, "points_amount": points},
	}
}

// Points as a tender (issue 15 acceptance, ADR 0022): a card payment of
// 50,000 earns 5,000 points at its confirmation; a checkout of 3,000 points +
// 10,000 wallet + the rest by a declined card gives both back and captures
// nothing; the same by an approving card spends them in one saga and the PG
// captures only the card part; refunding it in two slices returns exactly the
// 3,000 points (and the wallet's 10,000) and paysaga verify holds.
func TestPointsWalletAndCardInOneCheckout(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.PointsEarnBPS = 1_000 })
	cus := s.fundedWallet(50_000)
	card := s.addCard(cus, providersim.CardApprove)
	declining := s.addCard(cus, providersim.CardDecline)

	seed := walletCheckoutBody(cus, orderID(), 50_000, map[string]any{"method_id": card})
	res := s.checkout(seed)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	seedID := res.json(t)["id"].(string)
	require.Equal(t, 200, s.call("POST", "/v1/payments/"+seedID+"/items/farm-a/confirm", appKey, map[string]any{}, nil).Status)
	require.EqualValues(t, 5_000, s.pointsBalance(cus), "10% of the card part at confirmation")

	declined := orderID()
	res = s.checkout(tenderBody(cus, declining, declined, 10_000, 3_000))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "failed", pay["status"], "%s", res.Body)
	require.EqualValues(t, 5_000, s.pointsBalance(cus), "the points hold was released")
	require.EqualValues(t, 50_000, s.walletBalance(cus), "the wallet hold was released")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM points_holds WHERE payment_id = $1 AND status = 'released'`, pay["id"]))
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM wallet_holds WHERE payment_id = $1 AND status = 'released'`, pay["id"]))
	n, _ := count(s.pgRecords(declined), "capture")
	require.Zero(t, n, "nothing captured")

	paid := orderID()
	res = s.checkout(tenderBody(cus, card, paid, 10_000, 3_000))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay = res.json(t)
	require.Equal(t, "succeeded", pay["status"], "%s", res.Body)
	require.EqualValues(t, 3_000, pay["points_amount"])
	require.EqualValues(t, 10_000, pay["wallet_amount"])
	require.EqualValues(t, 2_000, s.pointsBalance(cus))
	require.EqualValues(t, 40_000, s.walletBalance(cus))
	s.requireChargedOnce(paid, 37_000)
	require.EqualValues(t, 0, s.balance(ledger.PointsClearing))
	id := pay["id"].(string)

	for i, slice := range []struct{ amount, points, wallet, pg int64 }{
		{20_000, 1_200, 4_000, 14_800}, // 2/5 of each tender
		{30_000, 1_800, 6_000, 22_200}, // the rest: each tender exactly what it paid
	} {
		before, wallet := s.pointsBalance(cus), s.walletBalance(cus)
		_, cancelledBefore := count(s.pgRecords(paid), "cancel")
		r := s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": slice.amount},
			map[string]string{"Idempotency-Key": "refund-" + paid + string(rune('a'+i))})
		require.Equal(t, 201, r.Status, "%s", r.Body)
		require.EqualValues(t, before+slice.points, s.pointsBalance(cus), "slice %d", i)
		require.EqualValues(t, wallet+slice.wallet, s.walletBalance(cus), "slice %d", i)
		_, cancelled := count(s.pgRecords(paid), "cancel")
		require.EqualValues(t, slice.pg, cancelled-cancelledBefore, "slice %d: the PG gave back the card part only", i)
	}
	require.EqualValues(t, 5_000, s.pointsBalance(cus), "every spent point is back")
	require.EqualValues(t, 50_000, s.walletBalance(cus))
	require.Equal(t, 3_000, s.rows(`SELECT COALESCE(sum(r.amount), 0)::int FROM points_returns r JOIN refunds f ON f.id = r.refund_id WHERE f.payment_id = $1`, id))
	s.requireLedgerBalanced()
	s.requireVerified()
}
