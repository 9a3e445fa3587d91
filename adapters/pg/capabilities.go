package pg

import (
	"errors"
	"net/http"
	"time"
)

// Capabilities is what one PG connector can do. Workflows and activities ask
// these questions, never which provider a PG is.
type Capabilities struct {
	// SeparateCapture: authorization and capture are two calls. When false the
	// approval takes the money in one call (Toss billing, PortOne billing-key
	// payments): the checkout has no capture step, and undoing it is a cancel.
	SeparateCapture bool
	// PartialCancel: a cancel may take part of what remains (partial refunds).
	PartialCancel bool
	// LookupByOrderID: the PG finds a payment by the merchant's order id, which is
	// how an answer lost in transit is resolved.
	LookupByOrderID bool
	// SignedWebhooks: the PG signs its webhooks, so a verified webhook may be
	// acted on; otherwise a webhook is only a hint to look the payment up.
	SignedWebhooks bool
	// AsyncApproval: the PG may answer an approval "pending" and decide it
	// later, announced by webhook (PortOne PAY_PENDING). Only such a PG's
	// webhooks are signalled to a waiting checkout; the others are recorded.
	AsyncApproval bool
	// BankAccountBilling: the PG issues billing keys for bank accounts (CMS
	// auto-debit), not only for cards.
	BankAccountBilling bool
	// AccountIsBillingKey: the billing key is the bank account itself (firm
	// banking's CMS debit), so paysaga may register an account it saved for
	// debits without the customer, when a checkout first routes there.
	AccountIsBillingKey bool
	// SettlementReport: the PG serves a per-payment report of a day's captures
	// and refunds that the daily reconciliation compares with the ledger.
	SettlementReport bool
	// SettlementFees: that report carries the PG's fee on each capture, which
	// the reconciliation checks against the contracted rate; without it only
	// amounts are compared.
	SettlementFees bool
	// Installments is the card installment plans (할부) the PG takes on a
	// billing-key charge; the zero value takes none (every charge is 일시불).
	Installments InstallmentLimits
}

// InstallmentLimits bound installment_months at one PG.
type InstallmentLimits struct {
	MaxMonths int   // 0: no installments at this PG; else months 2..MaxMonths
	MinAmount int64 // the smallest card amount an installment plan may split
	// InterestFreeByRequest: the charge itself can say the merchant pays the
	// interest (무이자, PortOne useFreeInterestFromMerchant). When false the PG
	// applies the merchant's interest-free contract on its side (Toss).
	InterestFreeByRequest bool
}

// KoreanCardInstallments is what Korean card issuers allow on an online
// purchase: 2 to 12 months, from 50,000 won (smaller amounts are 일시불 only).
var KoreanCardInstallments = InstallmentLimits{MaxMonths: 12, MinAmount: 50_000}

// Allows reports whether months (2..) of a card amount fit these limits.
func (l InstallmentLimits) Allows(months int, amount int64) bool {
	return months >= 2 && months <= l.MaxMonths && amount >= l.MinAmount
}

// Capable is a Client that declares its capabilities.
type Capable interface {
	Capabilities() Capabilities
}

// legacyCapabilities are those of the sandbox's original paysaga PG protocol
// (adapters/pg NewHTTPClient), which every client without a declaration has.
var legacyCapabilities = Capabilities{
	SeparateCapture: true, PartialCancel: true, LookupByOrderID: false, SignedWebhooks: true, AsyncApproval: true, BankAccountBilling: true, SettlementReport: true,
	SettlementFees: true,
	Installments:   InstallmentLimits{MaxMonths: 12, MinAmount: 50_000, InterestFreeByRequest: true},
}

// CapabilitiesOf answers what c can do.
func CapabilitiesOf(c Client) Capabilities {
	if x, ok := c.(Capable); ok {
		return x.Capabilities()
	}
	return legacyCapabilities
}

// WebhookNotice is what a connector read from a PG's webhook: a hint of which
// payment changed. paysaga acts only on the PG's answer to a look-up of it.
type WebhookNotice struct {
	EventID    string // the PG's event id (signed PGs); empty when unsigned
	Type       string // the PG's event type, e.g. PAYMENT_STATUS_CHANGED, Transaction.Paid
	PaymentKey string // the PG's payment key, to look up
}

// WebhookReader is a connector that reads its PG's webhooks. A PG with signed
// webhooks (Capabilities.SignedWebhooks) verifies them here and answers
// ErrUnverifiedWebhook for a forged, stale or unsigned one.
type WebhookReader interface {
	ReadWebhook(header http.Header, body []byte, now time.Time) (WebhookNotice, error)
}

// ErrUnverifiedWebhook: the webhook's signature does not verify.
var ErrUnverifiedWebhook = errors.New("webhook signature does not verify")
