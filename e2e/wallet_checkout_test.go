package e2e

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/providersim"
)

// addCard registers a card for an existing customer.
func (s *stack) addCard(customerID, card string) string {
	s.t.Helper()
	authKey, err := s.sim.Tokenize(s.ctx, providersim.Card{Number: card, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	require.NoError(s.t, err)
	res := s.call("POST", "/v1/customers/"+customerID+"/payment-methods", appKey, map[string]any{"type": "card", "pg_auth_key": authKey}, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	return res.json(s.t)["id"].(string)
}

// fundedWallet is a verified customer whose wallet holds amount.
func (s *stack) fundedWallet(amount int64) string {
	s.t.Helper()
	customerID, bankMethod := s.walletCustomer(10_000_000)
	s.verify(customerID)
	res := s.topUp(customerID, bankMethod, amount)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	require.Equal(s.t, "succeeded", res.json(s.t)["status"])
	return customerID
}

func walletCheckoutBody(customerID, orderID string, amount int64, payment map[string]any) map[string]any {
	return map[string]any{
		"order_id": orderID, "customer_id": customerID, "currency": "KRW", "amount": amount,
		"items": []map[string]any{{"producer_id": "farm-a", "amount": amount}}, "payment": payment,
	}
}

// DESIGN.md's example end to end: card 10,000 + wallet 5,000 for producer A at
// 3%, then a partial refund that goes back in proportion.
func TestWalletSplitCheckoutThenPartialRefund(t *testing.T) {
	s := newStack(t)
	customerID := s.fundedWallet(50_000)
	card := s.addCard(customerID, "4111111111111111")
	order := orderID()

	res := s.checkout(walletCheckoutBody(customerID, order, 15_000, map[string]any{"method_id": card, "wallet_amount": 5_000}))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"], "%s", res.Body)
	require.Equal(t, float64(5_000), pay["wallet_amount"])

	require.Equal(t, int64(45_000), s.walletBalance(customerID))
	require.Equal(t, int64(10_000), s.balance("pg:alpha:receivable"))
	require.Equal(t, int64(-15_000), s.balance("producer:farm-a:pending"), "pending until the purchase is confirmed")
	require.Zero(t, s.balance("revenue:fees"))
	recs := s.pgRecords(order)
	n, captured := count(recs, "capture")
	require.Equal(t, 1, n)
	require.Equal(t, int64(10_000), captured, "the PG charged only the card part")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM wallet_holds WHERE payment_id = $1 AND status = 'captured'`, pay["id"]))

	paymentID := pay["id"].(string)
	res = s.call("POST", "/v1/payments/"+paymentID+"/refunds", appKey, map[string]any{"amount": 3_000},
		map[string]string{"Idempotency-Key": "refund-" + order})
	require.Equal(t, 201, res.Status, "%s", res.Body)

	require.Equal(t, int64(46_000), s.walletBalance(customerID), "a third of the refund goes to the wallet")
	n, canceled := count(s.pgRecords(order), "cancel")
	require.Equal(t, 1, n)
	require.Equal(t, int64(2_000), canceled, "two thirds through the PG")
	require.Equal(t, int64(8_000), s.balance("pg:alpha:receivable"))
	require.Equal(t, int64(-15_000+3_000), s.balance("producer:farm-a:pending"), "unconfirmed: the refund leaves settlement")
	s.requireLedgerBalanced()

	res = s.call("GET", "/v1/wallets/"+customerID+"/transactions", appKey, nil, nil)
	require.Equal(t, 200, res.Status)
	var kinds []string
	for _, tx := range res.json(t)["data"].([]any) {
		kinds = append(kinds, tx.(map[string]any)["kind"].(string))
	}
	require.Equal(t, []string{"payment_refund", "payment_capture", "wallet_topup"}, kinds)
}

func TestWalletSplitCheckoutCardDeclinedReleasesHold(t *testing.T) {
	s := newStack(t)
	customerID := s.fundedWallet(50_000)
	card := s.addCard(customerID, "4000000000000002") // always declined
	order := orderID()

	res := s.checkout(walletCheckoutBody(customerID, order, 15_000, map[string]any{"method_id": card, "wallet_amount": 5_000}))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "failed", pay["status"])

	require.Equal(t, int64(50_000), s.walletBalance(customerID))
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM wallet_holds WHERE payment_id = $1 AND status = 'released'`, pay["id"]))
	require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions WHERE payment_id = $1`, pay["id"]), "nothing posted")
	n, _ := count(s.pgRecords(order), "capture")
	require.Zero(t, n)
}

// 50 wallet-only checkouts at once against one wallet: the holds are taken one
// at a time under the customer's lock, so the balance never goes negative and
// what left the wallet is exactly what the succeeded checkouts paid.
func TestWalletConcurrentCheckoutsNeverOverdraw(t *testing.T) {
	s := newStack(t)
	const funded, price, tries = 30_000, 1_000, 50
	customerID := s.fundedWallet(funded)

	statuses := make([]string, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.checkout(walletCheckoutBody(customerID, orderID(), price, map[string]any{"wallet_amount": price}))
			if res.Status == 201 {
				statuses[i] = res.json(t)["status"].(string)
			} else {
				statuses[i] = string(res.Body)
			}
		}()
	}
	wg.Wait()

	succeeded := 0
	for _, st := range statuses {
		require.Contains(t, []string{"succeeded", "failed"}, st)
		if st == "succeeded" {
			succeeded++
		}
	}
	balance := s.walletBalance(customerID)
	require.GreaterOrEqual(t, balance, int64(0))
	require.Equal(t, int64(succeeded*price), funded-balance)
	require.Equal(t, funded/price, succeeded, "every checkout the wallet could pay went through")
	require.Zero(t, s.rows(`SELECT count(*) FROM wallet_holds WHERE customer_id = $1 AND status = 'active'`, customerID))
	s.requireLedgerBalanced()
}
