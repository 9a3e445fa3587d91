package e2e

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

func (s *stack) walletRefund(customerID, methodID string, amount int64, key string) response {
	s.t.Helper()
	body := map[string]any{"method_id": methodID, "currency": "KRW"}
	if amount > 0 {
		body["amount"] = amount
	}
	return s.call("POST", "/v1/wallets/"+customerID+"/refunds", appKey, body, map[string]string{"Idempotency-Key": key})
}

// refundTransfers are the sandbox bank's transfers under wallet refund keys.
func (s *stack) refundTransfers() (n int, amount int64) {
	s.t.Helper()
	recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "bank", Kind: providersim.KindTransfer})
	require.NoError(s.t, err)
	for _, r := range recs {
		if strings.HasPrefix(r.IdempotencyKey, "wallet-refund:") {
			n++
			amount += r.Amount
		}
	}
	return n, amount
}

func (s *stack) walletLiabilities() int64 {
	s.t.Helper()
	res := s.call("GET", "/v1/reports/safeguarding", financeKey, nil, nil)
	require.Equal(s.t, 200, res.Status, "%s", res.Body)
	return int64(res.json(s.t)["wallet_liabilities"].(float64))
}

// 잔액 환불: 30,000 of a 50,000 wallet goes to the customer's bank account once
// (29,500 after the 500 fee), the same request again moves nothing more, a
// transfer the bank refuses leaves the balance intact, and the safeguarding
// report owes what the wallets hold.
func TestWalletBalanceRefundToTheBankAccount(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.WalletRefundFee = 500 })
	customerID, methodID := s.walletCustomer(10_000_000)
	s.verify(customerID)
	require.Equal(t, 201, s.topUp(customerID, methodID, 50_000).Status)
	require.EqualValues(t, 50_000, s.walletLiabilities())

	key := uuid.NewString()
	res := s.walletRefund(customerID, methodID, 30_000, key)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	refund := res.json(t)
	require.Equal(t, "succeeded", refund["status"])
	require.EqualValues(t, 30_000, refund["amount"])
	require.EqualValues(t, 500, refund["fee"])
	again := s.walletRefund(customerID, methodID, 30_000, key)
	require.Equal(t, 201, again.Status, "%s", again.Body)
	require.Equal(t, refund["id"], again.json(t)["id"])
	n, amount := s.refundTransfers()
	require.Equal(t, 1, n, "transferred once")
	require.EqualValues(t, 29_500, amount)
	require.EqualValues(t, 20_000, s.walletBalance(customerID))
	require.EqualValues(t, 20_000, s.walletLiabilities(), "the safeguarding report reflects it")
	got := s.call("GET", "/v1/wallets/"+customerID+"/refunds/"+refund["id"].(string), appKey, nil, nil)
	require.Equal(t, 200, got.Status, "%s", got.Body)
	require.Equal(t, "succeeded", got.json(t)["status"])

	// The bank is down for transfers: the refund fails and the balance is intact.
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeOutage}))
	res = s.walletRefund(customerID, methodID, 10_000, uuid.NewString())
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "failed", res.json(t)["status"])
	require.NoError(t, s.sim.ClearFaults(s.ctx))
	n, _ = s.refundTransfers()
	require.Equal(t, 1, n)
	require.EqualValues(t, 20_000, s.walletBalance(customerID))
	require.EqualValues(t, 20_000, s.walletLiabilities())

	// More than the balance: 422, nothing moves. No amount: everything left.
	res = s.walletRefund(customerID, methodID, 20_001, uuid.NewString())
	require.Equal(t, 422, res.Status, "%s", res.Body)
	require.Equal(t, "insufficient_wallet_balance", res.json(t)["code"])
	res = s.walletRefund(customerID, methodID, 0, uuid.NewString())
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.EqualValues(t, 20_000, res.json(t)["amount"])
	require.Zero(t, s.walletBalance(customerID))
	s.requireVerified()
	s.requireLedgerBalanced()
}
