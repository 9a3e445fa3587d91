// Package pg is the card/bank-billing payment gateway (PG) client: billing keys,
// authorize, capture, cancel and queries, over the PG's HTTP wire protocol.
package pg

import (
	"context"
	"time"
)

// Client is one PG. Every money-moving call carries an idempotency key built from
// business ids; the PG answers a repeated key with the original result.
type Client interface {
	// Name is the PG's configured name ("alpha"), used in ledger accounts and routing.
	Name() string
	IssueBillingKey(ctx context.Context, req IssueBillingKeyRequest) (BillingKey, error)
	Authorize(ctx context.Context, req AuthorizeRequest) (Payment, error)
	Capture(ctx context.Context, req CaptureRequest) (Payment, error)
	// Cancel voids an authorization, or refunds (fully or partly) a capture.
	Cancel(ctx context.Context, req CancelRequest) (Payment, error)
	// GetByIdempotencyKey finds the payment an Authorize with that key created;
	// an adapters.Error of kind NotFound when there is none.
	GetByIdempotencyKey(ctx context.Context, key string) (Payment, error)
	GetPayment(ctx context.Context, paymentKey string) (Payment, error)
	// Settlements is the PG's settlement report for one day (YYYY-MM-DD, Korea time).
	Settlements(ctx context.Context, date string) ([]SettlementItem, error)
}

// SettlementItem is one payment's captures or refunds on the settlement day.
type SettlementItem struct {
	PaymentKey string
	OrderID    string
	Type       string // capture | refund
	Amount     int64
	Fee        int64 // the PG's fee (captures)
	Currency   string
}

// IssueBillingKeyRequest names either a card auth key (from the PG's client SDK,
// the sandbox's tokenize endpoint) or a bank account already holder-checked.
type IssueBillingKeyRequest struct {
	CustomerKey string // our customer id
	AuthKey     string // card: one-time key from the PG's client SDK
	BankAccount *BankAccount
}

type BankAccount struct {
	BankCode      string
	AccountNumber string
	HolderName    string
}

type BillingKey struct {
	BillingKey   string
	Method       string // "card" or "bank_account"
	CardBrand    string
	CardType     string // "credit" or "check"
	CardLast4    string
	CardBIN      string // the card number's first 6-8 digits, when the PG shows them (cardbin.Parse)
	BankCode     string
	AccountLast4 string
}

type AuthorizeRequest struct {
	IdempotencyKey string
	BillingKey     string
	CustomerKey    string // the customer the billing key was issued to (Toss requires it on every charge)
	OrderID        string
	Amount         int64
	Currency       string
	// InstallmentMonths splits the card charge into 2..12 monthly payments
	// (할부); 0 is a single payment (일시불). Within Capabilities.Installments.
	InstallmentMonths int
	// InterestFree: the merchant pays the installment interest (무이자) under
	// one of finance's interest-free plans.
	InterestFree bool
	// TaxFreeAmount of Amount is tax-free (면세); the PG derives VAT from the rest.
	TaxFreeAmount int64
}

type CaptureRequest struct {
	IdempotencyKey string
	PaymentKey     string
	Amount         int64
}

type CancelRequest struct {
	IdempotencyKey string
	PaymentKey     string
	Amount         int64 // 0 cancels whatever remains
	Reason         string
	// TaxFreeAmount of Amount is tax-free; ignored with Amount 0 (the whole
	// remaining tax-free part is cancelled with the rest).
	TaxFreeAmount int64
}

// Payment is the PG's view of one payment.
type Payment struct {
	PaymentKey     string
	OrderID        string
	Status         string // pending (result comes by webhook) | authorized | captured | canceled | partially_canceled | failed
	Amount         int64
	CapturedAmount int64
	CanceledAmount int64
	Currency       string
	ApprovedAt     time.Time
}
