// Package workflows holds paysaga's deterministic Temporal workflows: the business
// processes (checkout, refund, payment-method registration) read top to bottom,
// with every side effect in an activity.
package workflows

import "strconv"

// Registered workflow names. They are constants so renaming a Go function never
// breaks a running workflow.
const (
	CheckoutName       = "Checkout"
	RefundName         = "Refund"
	RegisterMethodName = "RegisterPaymentMethod"
	VerifyIdentityName = "VerifyIdentity"
	TopUpName          = "TopUp"
)

// Workflow ids are business keys: duplicates collapse and ops can find them.
func CheckoutID(orderID string) string           { return "checkout-" + orderID }
func RefundID(paymentID, refundID string) string { return "refund-" + paymentID + "-" + refundID }
func RegisterMethodID(methodID string) string    { return "method-" + methodID }
func TopUpID(topUpID string) string              { return "topup-" + topUpID }

// VerifyIdentityID is idv-{customer}-{n}, n counting the customer's verifications from 1.
func VerifyIdentityID(customerID string, n int64) string {
	return "idv-" + customerID + "-" + strconv.FormatInt(n, 10)
}

// Payment statuses, as stored, returned by the API and upserted as PaymentStatus.
const (
	StatusProcessing        = "processing"
	StatusAuthorized        = "authorized"
	StatusSucceeded         = "succeeded"
	StatusFailed            = "failed"
	StatusCanceled          = "canceled"
	StatusPartiallyRefunded = "partially_refunded"
	StatusRefunded          = "refunded"
)

// CheckoutInput is everything the checkout needs, fixed when it starts: the fee
// rate and the PG routing order are copied from config so a config change never
// alters a running payment.
type CheckoutInput struct {
	PaymentID  string
	OrderID    string
	CustomerID string
	MethodID   string // pays Amount - WalletAmount; empty when the wallet pays it all
	Currency   string
	Amount     int64
	// WalletAmount of Amount is paid from the customer's wallet (held, then
	// posted at capture). 0: card or bank account only.
	WalletAmount int64
	Items        []CheckoutItem
	FeeBPS       int64
	PGs          []string // routing order, primary first
}

// CheckoutItem is one producer's share of the order.
type CheckoutItem struct {
	ProducerID string
	Amount     int64
}

// CheckoutResult is the final outcome the HTTP call answers with.
type CheckoutResult struct {
	PaymentID      string
	Status         string // succeeded | failed
	PG             string // the PG that served the payment, when one did
	FailureCode    string // stable code, e.g. card_declined
	FailureMessage string
}

// RefundInput asks to give back part or all of a captured payment.
type RefundInput struct {
	RefundID  string
	PaymentID string
	Amount    int64  // 0 with Kind "cancel" means whatever remains
	Kind      string // cancel | partial
	Reason    string
}

type RefundResult struct {
	RefundID       string
	Status         string // succeeded | failed
	Amount         int64
	FailureCode    string
	FailureMessage string
}

// RegisterMethodInput registers a card (AuthKey from the PG's client SDK) or a
// bank account (holder-checked at the bank) and issues a billing key at each PG.
type RegisterMethodInput struct {
	MethodID    string
	CustomerID  string
	Kind        string // card | bank_account
	AuthKey     string
	BankAccount *BankAccount
	PGs         []string // billing keys are issued at each; the first is required
}

type BankAccount struct {
	BankCode      string
	AccountNumber string
	HolderName    string
}

type RegisterMethodResult struct {
	MethodID       string
	Status         string // active | failed
	FailureCode    string // e.g. invalid_auth_key, holder_mismatch
	FailureMessage string
}
