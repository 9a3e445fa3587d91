package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/verify"
)

// storm sends n copies of one request at once and returns every response.
func (s *stack) storm(n int, send func() response) []response {
	s.t.Helper()
	out := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = send()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// requireVerified runs paysaga verify until it holds, for up to 30 s: cash
// receipts are issued by their own workflows after the money has moved
// (issue 14), so right after a burst of top-ups some are still on their way.
func (s *stack) requireVerified() {
	s.t.Helper()
	var rep verify.Report
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		var err error
		rep, err = verify.Run(s.ctx, verify.Sources{Pool: s.pool, Sim: s.sim})
		require.NoError(s.t, err)
		if rep.OK() || time.Now().After(deadline) {
			break
		}
	}
	require.True(s.t, rep.OK(), "%s", rep)
}

// 100 identical checkouts under one Idempotency-Key at once: one payment, one
// authorization and one capture at the PG; every answer is that payment or a
// 409 for a duplicate still in flight.
func TestIdempotencyStormCheckout(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.RateLimit = 0 })
	customerID, methodID := s.customerWithCard("4111111111111111")
	order := orderID()
	body := checkoutBody(customerID, methodID, order)
	key := uuid.NewString()
	send := func() response {
		return s.call("POST", "/v1/checkouts", appKey, body, map[string]string{"Idempotency-Key": key})
	}
	res := s.storm(100, send)

	var ids []string
	conflicts := 0
	for _, r := range res {
		switch r.Status {
		case 201:
			ids = append(ids, r.json(t)["id"].(string))
		case 409:
			conflicts++
		default:
			t.Fatalf("unexpected %d: %s", r.Status, r.Body)
		}
	}
	require.NotEmpty(t, ids)
	for _, id := range ids {
		require.Equal(t, ids[0], id, "every answer is the same payment")
	}
	t.Logf("storm: %d answered the payment, %d were 409 in flight", len(ids), conflicts)
	again := send()
	require.Equal(t, 201, again.Status, "%s", again.Body)
	require.Equal(t, ids[0], again.json(t)["id"])
	require.Equal(t, "succeeded", again.json(t)["status"])

	require.Equal(t, 1, s.rows(`SELECT count(*) FROM payments WHERE order_id = $1`, order))
	s.requireChargedOnce(order, 15000)
	s.requireVerified()
}

// 100 top-ups of one wallet at once, each under its own key: however they
// interleave the wallet never passes its cap, and what was debited at the bank
// is exactly what the wallet holds.
func TestIdempotencyStormTopUpsNeverPassTheCap(t *testing.T) {
	const capAmount, each = 1_000_000, 70_000
	s := newStack(t, func(c *config.Config) {
		c.RateLimit = 0
		c.WalletCap = capAmount
		c.WalletDailyTopUp = 50_000_000
		c.WalletTopUpsPerHour = 0
	})
	customerID, methodID := s.walletCustomer(100_000_000)
	s.verify(customerID)
	res := s.storm(100, func() response { return s.topUp(customerID, methodID, each) })
	ok := 0
	for _, r := range res {
		require.Contains(t, []int{201, 202, 422}, r.Status, "%s", r.Body)
		if r.Status == 202 {
			// Past the budget on a loaded machine: the app would look the
			// top-up up until it ends, and so does the test.
			r = s.awaitTopUp(customerID, r.json(t)["id"].(string))
		}
		if r.Status == 201 || r.Status == 200 {
			require.Equal(t, "succeeded", r.json(t)["status"])
			ok++
		} else {
			require.Equal(t, "wallet_cap_exceeded", r.json(t)["code"], "%s", r.Body)
		}
	}
	require.Equal(t, capAmount/each, ok, "as many as fit under the cap")
	require.LessOrEqual(t, s.walletBalance(customerID), int64(capAmount))
	require.Equal(t, int64(ok*each), s.walletBalance(customerID))
	n, amount := s.bankDebits()
	require.Equal(t, ok, n)
	require.Equal(t, int64(ok*each), amount)
	s.requireVerified()
}

// awaitTopUp polls a top-up that answered 202 until it is no longer processing.
func (s *stack) awaitTopUp(customerID, topUpID string) response {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := s.call("GET", "/v1/wallets/"+customerID+"/topups/"+topUpID, appKey, nil, nil)
		require.Equal(s.t, 200, r.Status, "%s", r.Body)
		if r.json(s.t)["status"] != "processing" {
			return r
		}
		require.True(s.t, time.Now().Before(deadline), "top-up %s still processing after a minute", topUpID)
		time.Sleep(200 * time.Millisecond)
	}
}
