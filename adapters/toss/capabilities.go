// Package toss is the Toss Payments connector: paysaga's PG capabilities over the
// Toss Payments core API v1 (client/ is the HTTP client, field for field as Toss
// documents it). Toss's quirks stay here: billing approval is authorization and
// capture in one call, look-ups go by orderId, and webhooks are unsigned.
package toss

import "github.com/paysaga/paysaga/adapters/pg"

// capabilities is what the Toss billing API offers.
var capabilities = pg.Capabilities{
	SeparateCapture:    false, // POST /v1/billing/{billingKey} approves and captures at once
	PartialCancel:      true,  // cancelAmount
	LookupByOrderID:    true,  // GET /v1/payments/orders/{orderId}
	SignedWebhooks:     false, // PAYMENT_STATUS_CHANGED carries no signature: look the payment up
	AsyncApproval:      false, // a billing approval answers at once
	BankAccountBilling: false, // billing keys are issued for cards here
	SettlementReport:   true,  // GET /v1/settlements
	SettlementFees:     true,  // each line has Toss's fee
	// cardInstallmentPlan on the billing approval; interest-free plans are the
	// merchant's contract with Toss, not a field of the request.
	Installments: pg.KoreanCardInstallments,
}

// Capabilities declares what this connector can do.
func (c *Connector) Capabilities() pg.Capabilities { return capabilities }
