// Package client is the HTTP client of the PortOne V2 REST API: requests and
// answers as PortOne's OpenAPI document names them, and nothing of paysaga's.
// The connector in adapters/portone translates to and from paysaga's types.
package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/paysaga/paysaga/adapters"
)

// PortOne's error types (the "type" of an error body) that paysaga acts on.
const (
	TypeInvalidRequest            = "InvalidRequestError"                       // 400
	TypeUnauthorized              = "UnauthorizedError"                         // 401
	TypeForbidden                 = "ForbiddenError"                            // 403
	TypePaymentNotFound           = "PaymentNotFoundError"                      // 404
	TypeBillingKeyNotFound        = "BillingKeyNotFoundError"                   // 404
	TypeAlreadyPaid               = "AlreadyPaidError"                          // 409: this paymentId was paid before
	TypeBillingKeyAlreadyIssued   = "BillingKeyAlreadyIssuedError"              // 409
	TypePaymentNotPaid            = "PaymentNotPaidError"                       // 409
	TypePaymentAlreadyCancelled   = "PaymentAlreadyCancelledError"              // 409
	TypeCancelAmountExceeds       = "CancelAmountExceedsCancellableAmountError" // 409
	TypeCancellableAmountMismatch = "CancellableAmountConsistencyBrokenError"   // 409: currentCancellableAmount differs
	// A cancel's tax-free part out of range (409).
	TypeSumOfPartsExceeds      = "SumOfPartsExceedsCancelAmountError"
	TypeCancelTaxFreeExceeds   = "CancelTaxFreeAmountExceedsCancellableTaxFreeAmountError"
	TypeCancelTaxAmountExceeds = "CancelTaxAmountExceedsCancellableTaxAmountError"
	TypePgProvider             = "PgProviderError" // 502: the PG refused (pgCode, pgMessage)
)

// Payment statuses.
const (
	StatusReady            = "READY"
	StatusPayPending       = "PAY_PENDING"
	StatusVirtualAccount   = "VIRTUAL_ACCOUNT_ISSUED"
	StatusPaid             = "PAID"
	StatusFailed           = "FAILED"
	StatusPartialCancelled = "PARTIAL_CANCELLED"
	StatusCancelled        = "CANCELLED"
)

// ConfirmBillingKeyBody is POST /billing-keys/confirm: completes a billing-key
// issue the browser SDK began with manual approval (billingIssueToken).
type ConfirmBillingKeyBody struct {
	StoreID           string `json:"storeId,omitempty"`
	BillingIssueToken string `json:"billingIssueToken"`
}

// ConfirmedBillingKeySummary is its answer.
type ConfirmedBillingKeySummary struct {
	BillingKey string `json:"billingKey"`
}

// Card is PortOne's card detail.
type Card struct {
	Publisher string `json:"publisher"`
	Issuer    string `json:"issuer"`
	Brand     string `json:"brand"` // LOCAL | MASTER | UNIONPAY | JCB | VISA | AMEX | DINERS | ...
	Type      string `json:"type"`  // CREDIT | DEBIT | GIFT
	OwnerType string `json:"ownerType"`
	Bin       string `json:"bin"`
	Name      string `json:"name"`
	Number    string `json:"number"` // masked
}

// BillingKeyPaymentMethod is one method of a billing key.
type BillingKeyPaymentMethod struct {
	Type string `json:"type"` // BillingKeyPaymentMethodCard
	Card *Card  `json:"card"`
}

// BillingKeyInfo is GET /billing-keys/{billingKey}.
type BillingKeyInfo struct {
	Status     string                    `json:"status"` // ISSUED | DELETED
	BillingKey string                    `json:"billingKey"`
	MerchantID string                    `json:"merchantId"`
	StoreID    string                    `json:"storeId"`
	Methods    []BillingKeyPaymentMethod `json:"methods"`
	IssuedAt   time.Time                 `json:"issuedAt"`
}

// CustomerInput identifies the customer of a payment.
type CustomerInput struct {
	ID string `json:"id,omitempty"`
}

// PaymentAmountInput is a payment's amount.
type PaymentAmountInput struct {
	Total   int64 `json:"total"`
	TaxFree int64 `json:"taxFree,omitempty"`
	// VAT is sent so PortOne's VAT is paysaga's rule's (package tax); without
	// it PortOne computes "1/11 of the taxable amount" with unstated rounding.
	VAT *int64 `json:"vat,omitempty"`
}

// BillingKeyPaymentInput is POST /payments/{paymentId}/billing-key.
type BillingKeyPaymentInput struct {
	StoreID    string             `json:"storeId,omitempty"`
	BillingKey string             `json:"billingKey"`
	ChannelKey string             `json:"channelKey,omitempty"`
	OrderName  string             `json:"orderName"`
	Customer   *CustomerInput     `json:"customer,omitempty"`
	Amount     PaymentAmountInput `json:"amount"`
	Currency   string             `json:"currency"`
	// InstallmentMonth is the card installment months (absent: 일시불);
	// UseFreeInterestFromMerchant: the merchant pays its interest (무이자).
	InstallmentMonth            int  `json:"installmentMonth,omitempty"`
	UseFreeInterestFromMerchant bool `json:"useFreeInterestFromMerchant,omitempty"`
}

// PayWithBillingKeyResponse is its answer: the payment was approved and paid
// at paidAt. A summary without paidAt is not taken as paid (the payment may be
// PAY_PENDING at some channels): the connector reads the payment.
type PayWithBillingKeyResponse struct {
	Payment struct {
		PgTxID string     `json:"pgTxId"`
		PaidAt *time.Time `json:"paidAt"`
	} `json:"payment"`
}

// CancelPaymentBody is POST /payments/{paymentId}/cancel. No amount: all that
// remains. CurrentCancellableAmount makes PortOne refuse the cancel when the
// balance is not what the caller saw (CancellableAmountConsistencyBrokenError).
type CancelPaymentBody struct {
	StoreID                  string `json:"storeId,omitempty"`
	Amount                   int64  `json:"amount,omitempty"`
	TaxFreeAmount            int64  `json:"taxFreeAmount,omitempty"`
	Reason                   string `json:"reason"`
	Requester                string `json:"requester,omitempty"` // CUSTOMER | ADMIN
	CurrentCancellableAmount *int64 `json:"currentCancellableAmount,omitempty"`
}

// PaymentCancellation is one cancellation.
type PaymentCancellation struct {
	Status      string     `json:"status"` // REQUESTED | SUCCEEDED | FAILED
	ID          string     `json:"id"`
	TotalAmount int64      `json:"totalAmount"`
	Reason      string     `json:"reason"`
	CancelledAt *time.Time `json:"cancelledAt"`
	RequestedAt time.Time  `json:"requestedAt"`
}

// CancelPaymentResponse is the cancel's answer.
type CancelPaymentResponse struct {
	Cancellation PaymentCancellation `json:"cancellation"`
}

// PaymentAmount is a payment's amounts.
type PaymentAmount struct {
	Total            int64 `json:"total"`
	TaxFree          int64 `json:"taxFree"`
	Paid             int64 `json:"paid"`
	Cancelled        int64 `json:"cancelled"`
	CancelledTaxFree int64 `json:"cancelledTaxFree"`
}

// PaymentFailure says why a payment failed.
type PaymentFailure struct {
	Reason    string `json:"reason"`
	PgCode    string `json:"pgCode"`
	PgMessage string `json:"pgMessage"`
}

// PaymentMethodCard is a card payment's method.
type PaymentMethodCard struct {
	Type           string `json:"type"` // PaymentMethodCard
	Card           *Card  `json:"card"`
	ApprovalNumber string `json:"approvalNumber"`
}

// Payment is GET /payments/{paymentId} (its status names the variant).
type Payment struct {
	Status        string                `json:"status"`
	ID            string                `json:"id"`
	TransactionID string                `json:"transactionId"`
	StoreID       string                `json:"storeId"`
	BillingKey    string                `json:"billingKey"`
	OrderName     string                `json:"orderName"`
	Amount        PaymentAmount         `json:"amount"`
	Currency      string                `json:"currency"`
	Method        *PaymentMethodCard    `json:"method"`
	PaidAt        *time.Time            `json:"paidAt"`
	PgTxID        string                `json:"pgTxId"`
	Failure       *PaymentFailure       `json:"failure"`
	Cancellations []PaymentCancellation `json:"cancellations"`
}

// Client sends PortOne API calls and classifies failures (adapters.Caller).
type Client struct {
	call    adapters.Caller
	storeID string
}

// New is a client for PortOne at baseURL (https://api.portone.io, or the
// sandbox's /portone/{name}), authenticating with "PortOne {API secret}".
func New(provider, baseURL, apiSecret, storeID string, hc *http.Client) *Client {
	return &Client{storeID: storeID, call: adapters.Caller{
		Provider: provider, BaseURL: baseURL, HTTP: hc, Authorization: "PortOne " + apiSecret,
		NotFoundCodes: map[string]bool{TypePaymentNotFound: true, TypeBillingKeyNotFound: true, TypeCashReceiptNotFound: true},
	}}
}

// StoreID is the store every request names (empty: the secret's store).
func (c *Client) StoreID() string { return c.storeID }

// Invalid is the error for a request refused before it was sent.
func (c *Client) Invalid(op, msg string) error { return c.call.Invalid(op, msg) }

// ConfirmBillingKey completes a billing-key issue.
func (c *Client) ConfirmBillingKey(ctx context.Context, body ConfirmBillingKeyBody) (ConfirmedBillingKeySummary, error) {
	var out ConfirmedBillingKeySummary
	err := c.call.Do(ctx, adapters.Call{Op: "billing_key", Method: http.MethodPost, Path: "/billing-keys/confirm", Body: body}, &out)
	return out, err
}

// GetBillingKey is GET /billing-keys/{billingKey}.
func (c *Client) GetBillingKey(ctx context.Context, billingKey string) (BillingKeyInfo, error) {
	var out BillingKeyInfo
	err := c.call.Do(ctx, adapters.Call{Op: "billing_key", Method: http.MethodGet,
		Path: "/billing-keys/" + url.PathEscape(billingKey), Query: c.storeQuery(), Lookup: true}, &out)
	return out, err
}

// DeleteBillingKey is DELETE /billing-keys/{billingKey}.
func (c *Client) DeleteBillingKey(ctx context.Context, billingKey string) error {
	return c.call.Do(ctx, adapters.Call{Op: "billing_key", Method: http.MethodDelete,
		Path: "/billing-keys/" + url.PathEscape(billingKey), Query: c.storeQuery()}, nil)
}

// PayWithBillingKey approves and pays paymentId with a billing key. The
// merchant-assigned paymentId is PortOne's idempotency: a second payment under
// it is AlreadyPaidError.
func (c *Client) PayWithBillingKey(ctx context.Context, paymentID string, body BillingKeyPaymentInput) (PayWithBillingKeyResponse, error) {
	var out PayWithBillingKeyResponse
	err := c.call.Do(ctx, adapters.Call{Op: "authorize", Method: http.MethodPost,
		Path: "/payments/" + url.PathEscape(paymentID) + "/billing-key", Body: body}, &out)
	return out, err
}

// CancelPayment cancels paymentId whole or in part.
func (c *Client) CancelPayment(ctx context.Context, paymentID string, body CancelPaymentBody) (CancelPaymentResponse, error) {
	var out CancelPaymentResponse
	err := c.call.Do(ctx, adapters.Call{Op: "cancel", Method: http.MethodPost,
		Path: "/payments/" + url.PathEscape(paymentID) + "/cancel", Body: body}, &out)
	return out, err
}

// GetPayment is GET /payments/{paymentId}.
func (c *Client) GetPayment(ctx context.Context, paymentID string) (Payment, error) {
	var out Payment
	err := c.call.Do(ctx, adapters.Call{Op: "query", Method: http.MethodGet,
		Path: "/payments/" + url.PathEscape(paymentID), Query: c.storeQuery(), Lookup: true}, &out)
	return out, err
}

func (c *Client) storeQuery() url.Values {
	if c.storeID == "" {
		return nil
	}
	return url.Values{"storeId": {c.storeID}}
}

// GetAllPaymentEventsByCursorBody is the requestBody (JSON in the query) of GET
// /payment-events-by-cursor: the events created in [from, until), after cursor.
type GetAllPaymentEventsByCursorBody struct {
	StoreID string     `json:"storeId,omitempty"`
	From    *time.Time `json:"from,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
	Cursor  string     `json:"cursor,omitempty"`
	Size    int        `json:"size,omitempty"` // default 10, at most 1000
}

// Payment event types paysaga reconciles.
const (
	EventPaid             = "PAID"
	EventCancelled        = "CANCELLED"
	EventPartialCancelled = "PARTIAL_CANCELLED"
)

// PaymentEvent is one payment event (its type names the variant); EventAmount
// is what the event moved, negative for a cancellation.
type PaymentEvent struct {
	Type          string    `json:"type"`
	ID            string    `json:"id"`
	PaymentID     string    `json:"paymentId"`
	TransactionID string    `json:"transactionId"`
	StoreID       string    `json:"storeId"`
	CreatedAt     time.Time `json:"createdAt"`
	Currency      string    `json:"currency"`
	EventAmount   int64     `json:"eventAmount"`
}

// PaymentEventWithCursor is one item of the answer.
type PaymentEventWithCursor struct {
	PaymentEvent PaymentEvent `json:"paymentEvent"`
	Cursor       string       `json:"cursor"`
}

// GetAllPaymentEventsByCursorResponse is the answer.
type GetAllPaymentEventsByCursorResponse struct {
	Items []PaymentEventWithCursor `json:"items"`
}

// PaymentEvents is GET /payment-events-by-cursor?requestBody={...}.
func (c *Client) PaymentEvents(ctx context.Context, body GetAllPaymentEventsByCursorBody) (GetAllPaymentEventsByCursorResponse, error) {
	if body.StoreID == "" {
		body.StoreID = c.storeID
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return GetAllPaymentEventsByCursorResponse{}, c.call.Invalid("settlements", "encode requestBody: "+err.Error())
	}
	var out GetAllPaymentEventsByCursorResponse
	err = c.call.Do(ctx, adapters.Call{Op: "query", Method: http.MethodGet, Path: "/payment-events-by-cursor",
		Query: url.Values{"requestBody": {string(raw)}}}, &out)
	return out, err
}
