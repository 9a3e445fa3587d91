package e2e

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/providersim"
)

// taxFreeRecords sums the tax-free parts of the sandbox's records of a kind.
func taxFreeOf(recs []providersim.Record, kind string) (taxFree int64) {
	for _, r := range recs {
		if r.Kind == kind {
			taxFree += r.TaxFreeAmount
		}
	}
	return taxFree
}

// The grocery example (issue 14): 30,000 of which 12,000 is tax-free. The PG's
// approval carries 12,000 tax-free; the payment shows VAT 1,636 and supply
// 16,364; a refund of 10,000 carries 4,000 tax-free to the PG, and cancelling
// the rest carries the other 8,000.
func TestTaxFreeAmountFromCheckoutToPGAndRefunds(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	res := s.checkout(map[string]any{
		"order_id": order, "customer_id": cus, "currency": "KRW", "amount": 30_000,
		"items": []map[string]any{
			{"producer_id": "farm-veg", "amount": 12_000, "tax_free_amount": 12_000},
			{"producer_id": "farm-jam", "amount": 18_000},
		},
		"payment": map[string]any{"method_id": pm},
	})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"], "%s", res.Body)
	require.Equal(t, map[string]any{"tax_free_amount": 12_000.0, "supply_amount": 16_364.0, "vat_amount": 1_636.0}, pay["tax"])
	id := pay["id"].(string)
	require.EqualValues(t, 12_000, taxFreeOf(s.pgRecords(order), "capture"), "the approval carries the tax-free part")

	key := func() map[string]string { return map[string]string{"Idempotency-Key": uuid.NewString()} }
	res = s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": 10_000, "reason": "bruised"}, key())
	require.Equal(t, 201, res.Status, "%s", res.Body)
	refunds := res.json(t)["payment"].(map[string]any)["refunds"].([]any)
	require.EqualValues(t, 4_000, refunds[0].(map[string]any)["tax_free_amount"], "10,000 of 30,000: 4,000 of the 12,000 tax-free")
	require.EqualValues(t, 4_000, taxFreeOf(s.pgRecords(order), "cancel"), "the PG's partial cancel carries it")

	res = s.call("POST", "/v1/payments/"+id+"/cancel", appKey, map[string]any{"reason": "customer cancelled"}, key())
	require.Equal(t, 201, res.Status, "%s", res.Body)
	n, amount := count(s.pgRecords(order), "cancel")
	require.Equal(t, 2, n)
	require.EqualValues(t, 30_000, amount)
	require.EqualValues(t, 12_000, taxFreeOf(s.pgRecords(order), "cancel"), "all cancels together: exactly the tax-free part")
	s.requireLedgerBalanced()
}

// A split wallet+card payment: the card part carries its share of the tax-free
// amount (the wallet part carries the rest), and so does a refund's card part.
func TestTaxFreeShareOfASplitPaymentsCardPart(t *testing.T) {
	s := newStack(t)
	customerID := s.fundedWallet(50_000)
	card := s.addCard(customerID, "4111111111111111")
	order := orderID()
	body := walletCheckoutBody(customerID, order, 30_000, map[string]any{"method_id": card, "wallet_amount": 10_000})
	body["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 30_000, "tax_free_amount": 12_000}}
	res := s.checkout(body)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	require.EqualValues(t, 8_000, taxFreeOf(s.pgRecords(order), "capture"), "card 20,000 of 30,000: 8,000 of the 12,000 tax-free")

	id := res.json(t)["id"].(string)
	res = s.call("POST", "/v1/payments/"+id+"/refunds", appKey, map[string]any{"amount": 15_000}, map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	n, amount := count(s.pgRecords(order), "cancel")
	require.Equal(t, 1, n)
	require.EqualValues(t, 10_000, amount, "two thirds of the refund go back to the card")
	require.EqualValues(t, 4_000, taxFreeOf(s.pgRecords(order), "cancel"), "10,000 of the card's 20,000: 4,000 of its 8,000 tax-free")
}
