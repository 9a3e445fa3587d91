package e2e

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/verify"
	"github.com/paysaga/paysaga/workflows"
)

func TestPartialRefundThenCancelReverseTheCaptureExactly(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	pay := s.checkout(checkoutBody(cus, pm, order)).json(t)
	id := pay["id"].(string)
	key := func() map[string]string { return map[string]string{"Idempotency-Key": uuid.NewString()} }

	res := s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": 3000, "reason": "one item missing"}, key())
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "partially_refunded", res.json(t)["payment"].(map[string]any)["status"])
	n, amt := count(s.pgRecords(order), "cancel")
	require.Equal(t, 1, n)
	require.EqualValues(t, 3000, amt, "the PG refunded 3,000")
	s.requireLedgerBalanced()
	require.EqualValues(t, 12000, s.balance("pg:alpha:receivable"))
	// Proportional: farm-a had 2/3 of the order, farm-b 1/3. Not yet
	// confirmed, the refund leaves settlement: only pending shrinks.
	require.EqualValues(t, -10000+2000, s.balance("producer:farm-a:pending"))
	require.EqualValues(t, -5000+1000, s.balance("producer:farm-b:pending"))
	require.Zero(t, s.balance("revenue:fees"))

	tooMuch := s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": 12001}, key())
	require.Equal(t, 422, tooMuch.Status, "%s", tooMuch.Body)

	res = s.call("POST", "/v1/payments/"+id+"/cancel", appKey, map[string]any{"reason": "customer cancelled"}, key())
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "canceled", res.json(t)["payment"].(map[string]any)["status"])
	n, amt = count(s.pgRecords(order), "cancel")
	require.Equal(t, 2, n)
	require.EqualValues(t, 15000, amt)
	for _, acct := range []string{"pg:alpha:receivable", "producer:farm-a:pending", "producer:farm-b:pending", "producer:farm-a:payable", "producer:farm-b:payable", "revenue:fees"} {
		require.Zero(t, s.balance(acct), acct)
	}
	s.requireLedgerBalanced()

	again := s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": 1}, key())
	require.Equal(t, 409, again.Status, "%s", again.Body)
}

// A bank account is billed through the firm-banking connector under the
// default connectors (Toss and PortOne bill no bank accounts): one debit at
// the bank, a partial refund and a cancel paid back by transfers of exactly
// their amounts; see docs/connectors.md.
func TestBankAccountCheckout(t *testing.T) {
	s := newStack(t)
	s.enablePGWebhooks() // the sandbox bank announces each transfer back
	res := s.call("POST", "/v1/customers", appKey, map[string]any{"external_id": "ext-bank", "name": "홍길동"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	cus := res.json(t)["id"].(string)

	wrong := s.call("POST", "/v1/customers/"+cus+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": "110123456789", "holder_name": "김철수"}}, nil)
	require.Equal(t, 422, wrong.Status, "%s", wrong.Body)
	require.Equal(t, "holder_mismatch", wrong.json(t)["code"])

	res = s.call("POST", "/v1/customers/"+cus+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": "110123456789", "holder_name": "홍길동"}}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.NotContains(t, string(res.Body), "110123456789", "the account number is never echoed")
	pm := res.json(t)["id"].(string)

	order := orderID()
	res = s.checkout(checkoutBody(cus, pm, order))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	require.Equal(t, "bank", res.json(t)["pg"], "billed by the connector that bills accounts")
	id := res.json(t)["id"].(string)
	debits := s.bankRecords("debit", "payment:"+id+":authorize")
	require.Len(t, debits, 1, "one debit at the bank")
	require.EqualValues(t, 15000, debits[0].Amount)
	require.Empty(t, s.pgRecords(order), "nothing at the card PGs")
	require.EqualValues(t, 15000, s.balance("pg:bank:receivable"))
	require.Zero(t, s.rows(`SELECT count(*) FROM payment_methods WHERE holder_name IS NULL AND kind = 'bank_account'`))

	key := func() map[string]string { return map[string]string{"Idempotency-Key": uuid.NewString()} }
	refundKey := key()
	for range 2 { // the same request twice: one refund, one transfer
		res = s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": 4000, "reason": "one item missing"}, refundKey)
		require.Equal(t, 201, res.Status, "%s", res.Body)
	}
	require.Equal(t, "partially_refunded", res.json(t)["payment"].(map[string]any)["status"])
	refunds := s.bankRecords("transfer", "refund:"+res.json(t)["refund"].(map[string]any)["id"].(string))
	require.Len(t, refunds, 1, "one transfer back")
	require.EqualValues(t, 4000, refunds[0].Amount, "exactly the refund")
	require.EqualValues(t, 11000, s.balance("pg:bank:receivable"))
	// Its transfer notice is confirmed and kept, not queued for ops as an unmatched payout.
	require.Eventually(t, func() bool {
		return s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'bank' AND status = 'delivered'`) == 1
	}, 10*time.Second, 50*time.Millisecond)
	require.Zero(t, s.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'bank' AND status = 'unmatched'`))

	res = s.call("POST", "/v1/payments/"+id+"/cancel", appKey, map[string]any{"reason": "customer cancelled"}, key())
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "canceled", res.json(t)["payment"].(map[string]any)["status"])
	var back int64
	for _, r := range s.bankRecords("transfer", "") {
		back += r.Amount
	}
	require.EqualValues(t, 15000, back, "the debit paid back in full, in two transfers")
	require.Zero(t, s.balance("pg:bank:receivable"))

	// The bank commits a debit but its answer is lost: found by its key, not debited twice.
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	res = s.checkout(checkoutBody(cus, pm, orderID()))
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	require.Len(t, s.bankRecords("debit", "payment:"+res.json(t)["id"].(string)+":authorize"), 1, "one debit after a lost answer")
	require.EqualValues(t, 15000, s.balance("pg:bank:receivable"))
	s.requireLedgerBalanced()
	rep, err := verify.Run(s.ctx, verify.Sources{Pool: s.pool, Sim: s.sim})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%s", rep)

	// The registration workflow carried the account number; its history, read raw
	// (no codec), holds only ciphertext.
	raw := s.rawHistory(workflows.RegisterMethodID(pm))
	require.NotContains(t, raw, "110123456789")
	require.NotContains(t, raw, "홍길동")
	require.Contains(t, raw, base64.StdEncoding.EncodeToString([]byte(codec.MetadataEncoding)))
}

// TestBankAccountDeclines: a short balance and a closed account are final
// declines with their codes; the bank holds no debit for either payment.
func TestBankAccountDeclines(t *testing.T) {
	s := newStack(t)
	require.NoError(t, s.sim.SetBankAccount(s.ctx, providersim.BankAccount{BankCode: "088", AccountNumber: "110555000111", HolderName: "홍길동", Balance: 1000}))
	for account, code := range map[string]string{"110555000111": "insufficient_funds", "998123456789": "account_closed"} {
		res := s.call("POST", "/v1/customers", appKey, map[string]any{"external_id": "ext-" + account, "name": "홍길동"}, nil)
		require.Equal(t, 201, res.Status, "%s", res.Body)
		cus := res.json(t)["id"].(string)
		res = s.call("POST", "/v1/customers/"+cus+"/payment-methods", appKey, map[string]any{"type": "bank_account",
			"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}}, nil)
		require.Equal(t, 201, res.Status, "%s", res.Body)
		res = s.checkout(checkoutBody(cus, res.json(t)["id"].(string), orderID()))
		require.Equal(t, 201, res.Status, "%s", res.Body)
		require.Equal(t, "failed", res.json(t)["status"], "%s", res.Body)
		require.Equal(t, code, res.json(t)["failure"].(map[string]any)["code"], "%s", res.Body)
		require.Empty(t, s.bankRecords("debit", "payment:"+res.json(t)["id"].(string)+":authorize"))
	}
	require.Zero(t, s.balance("pg:bank:receivable"))
	rep, err := verify.Run(s.ctx, verify.Sources{Pool: s.pool, Sim: s.sim})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%s", rep)
}

// bankRecords are the sandbox bank's records of a kind (and key, if given).
func (s *stack) bankRecords(kind, key string) []providersim.Record {
	s.t.Helper()
	recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: providersim.ProviderBank, Kind: kind, IdempotencyKey: key})
	require.NoError(s.t, err)
	return recs
}
