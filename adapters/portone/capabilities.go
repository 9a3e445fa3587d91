// Package portone is the PortOne V2 connector: paysaga's PG capabilities over
// PortOne's REST API (client/ is the HTTP client). PortOne's quirks stay here:
// the merchant assigns the paymentId, which is both the idempotency key and the
// look-up key; there is no Idempotency-Key header, so a cancel is made
// idempotent by a tag in its reason and currentCancellableAmount; webhooks are
// signed per Standard Webhooks.
package portone

import "github.com/paysaga/paysaga/adapters/pg"

var capabilities = pg.Capabilities{
	SeparateCapture:    false, // POST /payments/{paymentId}/billing-key approves and pays at once
	PartialCancel:      true,  // cancel with amount
	LookupByOrderID:    true,  // GET /payments/{paymentId}, the id paysaga assigned
	SignedWebhooks:     true,  // webhook-id, webhook-timestamp, webhook-signature
	AsyncApproval:      true,  // PAY_PENDING, then Transaction.Paid / Transaction.Failed
	BankAccountBilling: false,
	// No settlement report as such, but GET /payment-events-by-cursor lists every
	// payment and cancellation event of a period with its amount: the daily
	// reconciliation compares those amounts (PortOne reports no PG fees).
	SettlementReport: true,
	SettlementFees:   false,
	// installmentMonth and useFreeInterestFromMerchant on the billing-key payment.
	Installments: pg.InstallmentLimits{MaxMonths: 12, MinAmount: 50_000, InterestFreeByRequest: true},
}

// Capabilities declares what this connector can do.
func (c *Connector) Capabilities() pg.Capabilities { return capabilities }
