package e2e

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/verify"
)

// Cash receipts (issue 14) end to end: the sandbox's Toss cash-receipt API
// records every issue and cancel (provider receipts:{pg}); the NTS registers a
// receipt 2 s after it is issued.

// quickReceipts makes the receipt workflow's waits test-sized.
func quickReceipts(c *config.Config) {
	c.CashReceiptPollEvery, c.CashReceiptRetryEvery = 300*time.Millisecond, time.Second
}

// receiptRecords are the sandbox's receipt records of one order id (a payment
// or top-up id) at PG pg.
func (s *stack) receiptRecords(pg, orderID, kind string) []providersim.Record {
	s.t.Helper()
	recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "receipts:" + pg, Kind: kind})
	require.NoError(s.t, err)
	var out []providersim.Record
	for _, r := range recs {
		if orderID == "" || r.OrderID == orderID {
			out = append(out, r)
		}
	}
	return out
}

// receiptOf waits until the payment's receipt satisfies ok and answers it.
func (s *stack) receiptOf(paymentID string, ok func(map[string]any) bool) map[string]any {
	s.t.Helper()
	var last map[string]any
	require.Eventually(s.t, func() bool {
		res := s.call("GET", "/v1/payments/"+paymentID, appKey, nil, nil)
		require.Equal(s.t, 200, res.Status, "%s", res.Body)
		last, _ = res.json(s.t)["cash_receipt"].(map[string]any)
		return last != nil && ok(last)
	}, 20*time.Second, 100*time.Millisecond, "receipt of %s: %v", paymentID, last)
	return last
}

// requireReceiptsMatch runs verify's receipt invariant over the stack.
func (s *stack) requireReceiptsMatch(at string) {
	s.t.Helper()
	rep, err := verify.Run(s.ctx, verify.Sources{Pool: s.pool, Sim: s.sim, CashReceiptAt: at})
	require.NoError(s.t, err)
	res := rep.Get(verify.CashReceiptsMatch)
	require.True(s.t, res.OK(), "%v", res.Breaches)
	require.Positive(s.t, res.Checked)
}

func hasStatus(status string) func(map[string]any) bool {
	return func(r map[string]any) bool { return r["status"] == status }
}

// The acceptance case: a bank-account payment of 30,000 with 12,000 tax-free,
// twice. Under the default connectors the account is debited by firm banking
// (adapters/bank: the debit has no tax-free field, the receipt carries it) and
// the receipt is issued at alpha (Toss). With alpha on the sandbox's own PG
// protocol, which bills bank accounts, the charge itself carries the tax-free
// part and beta (Toss) issues the receipt.
func TestCashReceiptOfABankAccountPaymentIsIssuedRegisteredAndPartlyCancelled(t *testing.T) {
	t.Run("default connectors: firm-banking debit, receipt at Toss", func(t *testing.T) {
		s := newStack(t, quickReceipts)
		bankReceiptCase(t, s, "alpha", func(order, id string) {
			debits := s.bankRecords("debit", "payment:"+id+":authorize")
			require.Len(t, debits, 1, "one debit at the bank")
			require.EqualValues(t, 30_000, debits[0].Amount)
			require.Empty(t, s.pgRecords(order), "nothing at the card PGs")
		})
	})
	t.Run("paysaga protocol PG bills the account, receipt at Toss", func(t *testing.T) {
		s := newStack(t, quickReceipts, func(c *config.Config) {
			c.PGConnectors = map[string]string{"alpha": config.ConnectorPaysaga, "beta": config.ConnectorToss}
		})
		bankReceiptCase(t, s, "beta", func(order, _ string) {
			require.EqualValues(t, 12_000, taxFreeOf(s.pgRecords(order), "authorize"), "the bank-account charge carries the tax-free part")
		})
	})
}

// bankReceiptCase pays 30,000 (12,000 tax-free) by bank account, checks the
// charge with charged, and follows the receipt issued at receiptPG through a
// partial refund and a cancel.
func bankReceiptCase(t *testing.T, s *stack, receiptPG string, charged func(order, paymentID string)) {
	cus, bank := s.walletCustomer(1_000_000)

	// Bad input changes nothing: the preference stays as it was.
	pref := "/v1/customers/" + cus + "/cash-receipt-preference"
	res := s.call("PUT", pref, appKey, map[string]any{"type": "income_deduction", "phone_number": "010-1234-5678"}, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	for _, bad := range []map[string]any{
		{"type": "income_deduction", "phone_number": "02-123-4567"},
		{"type": "proof", "business_number": "123-45-67890"},
	} {
		res = s.call("PUT", pref, appKey, bad, nil)
		require.Equal(t, 422, res.Status, "%s", res.Body)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	}
	res = s.call("GET", pref, appKey, nil, nil)
	require.Equal(t, "5678", res.json(t)["identity_last4"])

	order := orderID()
	res = s.checkout(map[string]any{
		"order_id": order, "customer_id": cus, "currency": "KRW", "amount": 30_000,
		"items": []map[string]any{
			{"producer_id": "farm-veg", "amount": 12_000, "tax_free_amount": 12_000},
			{"producer_id": "farm-jam", "amount": 18_000},
		},
		"payment": map[string]any{"method_id": bank},
	})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"], "%s", res.Body)
	require.Equal(t, map[string]any{"tax_free_amount": 12_000.0, "supply_amount": 16_364.0, "vat_amount": 1_636.0}, pay["tax"])
	id := pay["id"].(string)
	charged(order, id)

	rc := s.receiptOf(id, hasStatus("registered"))
	require.EqualValues(t, 30_000, rc["amount"])
	require.EqualValues(t, 12_000, rc["tax_free_amount"])
	require.Equal(t, "income_deduction", rc["type"])
	require.Equal(t, "5678", rc["identity_last4"])
	require.Equal(t, false, rc["self_issued"])
	require.Equal(t, receiptPG, rc["pg"], "the first routed PG that issues receipts")
	require.NotEmpty(t, rc["issue_number"])
	// Ops see it on the payment's console page.
	ops := s.visitor()
	require.Equal(t, 303, ops.signIn(opsKey).Status)
	page := ops.get("/console/payments/" + id)
	require.Equal(t, 200, page.Status, page.Body)
	require.Contains(t, page.Body, `<dd id="receipt-status">registered</dd>`)
	require.Contains(t, page.Body, "****5678")
	require.NotContains(t, page.Body, "01012345678", "the number is never shown whole")
	issued := s.receiptRecords(receiptPG, id, providersim.KindCashReceipt)
	require.Len(t, issued, 1)
	require.EqualValues(t, 30_000, issued[0].Amount)
	require.EqualValues(t, 12_000, issued[0].TaxFreeAmount)

	res = s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": 10_000, "reason": "bruised"},
		map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	rc = s.receiptOf(id, func(r map[string]any) bool { return r["cancelled_amount"] == 10_000.0 })
	require.EqualValues(t, 4_000, rc["cancelled_tax_free_amount"], "10,000 of 30,000: 4,000 of the 12,000 tax-free (tax.SliceTaxFree)")
	cancels := s.receiptRecords(receiptPG, id, providersim.KindCashReceiptCancel)
	require.Len(t, cancels, 1)
	require.EqualValues(t, 10_000, cancels[0].Amount)
	require.EqualValues(t, 4_000, cancels[0].TaxFreeAmount)

	res = s.call("POST", "/v1/payments/"+id+"/cancel", appKey, map[string]any{"reason": "all of it"},
		map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	rc = s.receiptOf(id, hasStatus("canceled"))
	require.EqualValues(t, 30_000, rc["cancelled_amount"])
	require.EqualValues(t, 12_000, rc["cancelled_tax_free_amount"])
	require.Len(t, s.receiptRecords(receiptPG, id, providersim.KindCashReceipt), 1, "issued once")
	s.requireReceiptsMatch(config.CashReceiptAtTopUp)
}

// At spend (PAYSAGA_CASH_RECEIPT_AT=spend): the top-up is not receipted; a
// split wallet+card payment gets one receipt, for the wallet part; a card
// payment none; the receipt service down for a while holds up no payment, and
// the receipt is issued once it is back, exactly once.
func TestCashReceiptsAtSpendForWalletPartsOnly(t *testing.T) {
	s := newStack(t, quickReceipts, func(c *config.Config) { c.CashReceiptAt = config.CashReceiptAtSpend })
	cus := s.fundedWallet(100_000)
	require.Empty(t, s.receiptRecords("alpha", "", providersim.KindCashReceipt), "at spend, a top-up is not receipted")
	card := s.addCard(cus, "4111111111111111")

	split := walletCheckoutBody(cus, orderID(), 30_000, map[string]any{"method_id": card, "wallet_amount": 10_000})
	split["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 30_000, "tax_free_amount": 12_000}}
	res := s.checkout(split)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	splitID := res.json(t)["id"].(string)
	rc := s.receiptOf(splitID, hasStatus("registered"))
	require.EqualValues(t, 10_000, rc["amount"], "the wallet part only")
	require.EqualValues(t, 4_000, rc["tax_free_amount"], "the card carries 8,000 of the 12,000 tax-free, the wallet the rest")
	require.Equal(t, true, rc["self_issued"], "no preference: the NTS self-issue number")
	require.Len(t, s.receiptRecords("alpha", splitID, providersim.KindCashReceipt), 1)

	res = s.checkout(walletCheckoutBody(cus, orderID(), 7_000, map[string]any{"method_id": card}))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	cardID := res.json(t)["id"].(string)
	res = s.call("GET", "/v1/payments/"+cardID, appKey, nil, nil)
	require.NotContains(t, res.json(t), "cash_receipt", "a card payment owes no receipt")

	// The receipt service goes down (one answer lost after it committed, then
	// an outage): the payment succeeds at once; the receipt waits.
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "receipts:alpha", Op: providersim.OpCashReceipt, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "receipts:alpha", Mode: providersim.ModeOutage}))
	res = s.checkout(walletCheckoutBody(cus, orderID(), 5_000, map[string]any{"wallet_amount": 5_000}))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	downID := res.json(t)["id"].(string)
	s.receiptOf(downID, func(r map[string]any) bool { return r["status"] == "pending" && r["attempts"].(float64) >= 2 })
	require.NoError(t, s.sim.ClearFaults(s.ctx))
	rc = s.receiptOf(downID, hasStatus("registered"))
	require.EqualValues(t, 5_000, rc["amount"])
	require.Len(t, s.receiptRecords("alpha", downID, providersim.KindCashReceipt), 1, "issued exactly once")
	s.requireReceiptsMatch(config.CashReceiptAtSpend)
}

// At top-up (the default): the top-up is receipted; a wallet payment is not.
func TestCashReceiptAtTopUpByDefault(t *testing.T) {
	s := newStack(t, quickReceipts)
	cus := s.fundedWallet(20_000)
	var topUp string
	require.NoError(t, s.pool.QueryRow(s.ctx, `SELECT id FROM wallet_topups WHERE customer_id = $1`, cus).Scan(&topUp))
	require.Eventually(t, func() bool {
		return s.rows(`SELECT count(*) FROM cash_receipts WHERE topup_id = $1 AND status = 'registered'`, topUp) == 1
	}, 20*time.Second, 100*time.Millisecond)
	recs := s.receiptRecords("alpha", topUp, providersim.KindCashReceipt)
	require.Len(t, recs, 1)
	require.EqualValues(t, 20_000, recs[0].Amount)

	res := s.checkout(walletCheckoutBody(cus, orderID(), 5_000, map[string]any{"wallet_amount": 5_000}))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	id := res.json(t)["id"].(string)
	res = s.call("GET", "/v1/payments/"+id, appKey, nil, nil)
	require.NotContains(t, res.json(t), "cash_receipt", "its money was receipted at top-up: never twice")
	s.requireReceiptsMatch(config.CashReceiptAtTopUp)
}
