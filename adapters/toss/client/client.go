// Package client is the HTTP client of the Toss Payments core API v1: the
// requests and answers as Toss documents them, field for field, and nothing of
// paysaga's. The connector in adapters/toss translates to and from paysaga's types.
package client

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paysaga/paysaga/adapters"
)

// Toss's error codes that paysaga acts on (Toss's error-code reference).
const (
	CodeRejectCardCompany       = "REJECT_CARD_COMPANY"       // 403: the card company refused
	CodeRejectCardPayment       = "REJECT_CARD_PAYMENT"       // 403: over the limit or insufficient balance
	CodeInvalidStoppedCard      = "INVALID_STOPPED_CARD"      // 400 (Toss error-code reference): a suspended card
	CodeExceedMaxAmount         = "EXCEED_MAX_AMOUNT"         // 400
	CodeNotFoundPayment         = "NOT_FOUND_PAYMENT"         // 404: no payment under that key or order id
	CodeAlreadyProcessedPayment = "ALREADY_PROCESSED_PAYMENT" // 400: this order id was already paid
	CodeAlreadyCanceledPayment  = "ALREADY_CANCELED_PAYMENT"  // 400
	CodeNotCancelableAmount     = "NOT_CANCELABLE_AMOUNT"     // 403: more than the balance
	CodeNotCancelablePayment    = "NOT_CANCELABLE_PAYMENT"    // 403
	CodeInvalidRequest          = "INVALID_REQUEST"           // 400
	CodeUnauthorizedKey         = "UNAUTHORIZED_KEY"          // 401: wrong secret key
	CodeProviderError           = "PROVIDER_ERROR"            // 400: a card company's temporary failure
	CodeFailedInternal          = "FAILED_INTERNAL_SYSTEM_PROCESSING"
)

// Payment statuses of the Payment object.
const (
	StatusReady             = "READY"
	StatusInProgress        = "IN_PROGRESS"
	StatusWaitingForDeposit = "WAITING_FOR_DEPOSIT"
	StatusDone              = "DONE"
	StatusCanceled          = "CANCELED"
	StatusPartialCanceled   = "PARTIAL_CANCELED"
	StatusAborted           = "ABORTED"
	StatusExpired           = "EXPIRED"
)

// IssueBillingKeyRequest is POST /v1/billing/authorizations/issue.
type IssueBillingKeyRequest struct {
	AuthKey     string `json:"authKey"`
	CustomerKey string `json:"customerKey"`
}

// BillingCard is the card of a Billing object.
type BillingCard struct {
	IssuerCode   string `json:"issuerCode"`
	AcquirerCode string `json:"acquirerCode"`
	Number       string `json:"number"`   // masked
	CardType     string `json:"cardType"` // 신용 | 체크 | 기프트
	OwnerType    string `json:"ownerType"`
}

// Billing is the answer of a billing-key issue.
type Billing struct {
	MID             string       `json:"mId"`
	CustomerKey     string       `json:"customerKey"`
	AuthenticatedAt time.Time    `json:"authenticatedAt"`
	Method          string       `json:"method"` // 카드
	BillingKey      string       `json:"billingKey"`
	CardCompany     string       `json:"cardCompany"`
	CardNumber      string       `json:"cardNumber"` // masked
	Card            *BillingCard `json:"card"`
}

// BillingChargeRequest is POST /v1/billing/{billingKey}: approval (authorization
// and capture in one call).
type BillingChargeRequest struct {
	CustomerKey   string `json:"customerKey"`
	Amount        int64  `json:"amount"`
	OrderID       string `json:"orderId"`
	OrderName     string `json:"orderName"`
	TaxFreeAmount int64  `json:"taxFreeAmount,omitempty"`
	// CardInstallmentPlan is the installment months (2..12, from 50,000 won);
	// absent or 0 is 일시불.
	CardInstallmentPlan int `json:"cardInstallmentPlan,omitempty"`
}

// CancelRequest is POST /v1/payments/{paymentKey}/cancel. No cancelAmount: the
// whole balance.
type CancelRequest struct {
	CancelReason  string `json:"cancelReason"`
	CancelAmount  int64  `json:"cancelAmount,omitempty"`
	TaxFreeAmount int64  `json:"taxFreeAmount,omitempty"`
}

// Card is the card of a Payment object.
type Card struct {
	IssuerCode string `json:"issuerCode"`
	Number     string `json:"number"` // masked
	CardType   string `json:"cardType"`
	ApproveNo  string `json:"approveNo"`
	Amount     int64  `json:"amount"`
	// InstallmentPlanMonths is the plan the issuer approved (0: 일시불);
	// IsInterestFree and InterestPayer (BUYER | CARD_COMPANY | MERCHANT) say
	// who pays its interest.
	InstallmentPlanMonths int    `json:"installmentPlanMonths"`
	IsInterestFree        bool   `json:"isInterestFree"`
	InterestPayer         string `json:"interestPayer,omitempty"`
}

// Cancel is one entry of a Payment's cancels[].
type Cancel struct {
	TransactionKey string    `json:"transactionKey"`
	CancelAmount   int64     `json:"cancelAmount"`
	CancelReason   string    `json:"cancelReason"`
	CanceledAt     time.Time `json:"canceledAt"`
	CancelStatus   string    `json:"cancelStatus"` // DONE
}

// Payment is Toss's Payment object (the fields paysaga reads).
type Payment struct {
	Version       string     `json:"version"`
	PaymentKey    string     `json:"paymentKey"`
	Type          string     `json:"type"` // NORMAL | BILLING | BRANDPAY
	OrderID       string     `json:"orderId"`
	OrderName     string     `json:"orderName"`
	Status        string     `json:"status"`
	Method        string     `json:"method"`
	Currency      string     `json:"currency"`
	TotalAmount   int64      `json:"totalAmount"`
	BalanceAmount int64      `json:"balanceAmount"`
	TaxFreeAmount int64      `json:"taxFreeAmount"`
	RequestedAt   time.Time  `json:"requestedAt"`
	ApprovedAt    *time.Time `json:"approvedAt"`
	LastTransKey  string     `json:"lastTransactionKey"`
	Card          *Card      `json:"card"`
	Cancels       []Cancel   `json:"cancels"`
}

// Settlement is one line of GET /v1/settlements. A cancellation is a line with a
// negative amount.
type Settlement struct {
	PaymentKey     string `json:"paymentKey"`
	TransactionKey string `json:"transactionKey"`
	OrderID        string `json:"orderId"`
	Method         string `json:"method"`
	Currency       string `json:"currency"`
	Amount         int64  `json:"amount"`
	Fee            int64  `json:"fee"`
	PayOutAmount   int64  `json:"payOutAmount"`
	SoldDate       string `json:"soldDate"`
	PaidOutDate    string `json:"paidOutDate"`
}

// Client sends Toss API calls and classifies failures (adapters.Caller).
type Client struct {
	call adapters.Caller
}

// New is a client for the Toss API at baseURL (https://api.tosspayments.com, or
// the sandbox's /toss/{name}). It authenticates with HTTP Basic, the secret key
// as the user name and an empty password, as Toss documents.
func New(provider, baseURL, secretKey string, hc *http.Client) *Client {
	return &Client{call: adapters.Caller{
		Provider: provider, BaseURL: baseURL, HTTP: hc,
		Authorization: "Basic " + base64.StdEncoding.EncodeToString([]byte(secretKey+":")),
		DeclineCodes: map[string]bool{
			CodeRejectCardCompany: true, CodeRejectCardPayment: true, CodeInvalidStoppedCard: true,
		},
		NotFoundCodes: map[string]bool{CodeNotFoundPayment: true},
	}}
}

// Invalid is the error for a request refused before it was sent.
func (c *Client) Invalid(op, msg string) error { return c.call.Invalid(op, msg) }

// IssueBillingKey exchanges an authKey (from Toss's billing window; the sandbox's
// SDK endpoint) for a billing key.
func (c *Client) IssueBillingKey(ctx context.Context, req IssueBillingKeyRequest) (Billing, error) {
	var out Billing
	err := c.call.Do(ctx, adapters.Call{Op: "billing_key", Method: http.MethodPost,
		Path: "/v1/billing/authorizations/issue", Body: req}, &out)
	return out, err
}

// ChargeBillingKey approves a payment with a billing key, under idemKey.
func (c *Client) ChargeBillingKey(ctx context.Context, billingKey, idemKey string, req BillingChargeRequest) (Payment, error) {
	return c.payment(ctx, adapters.Call{Op: "authorize", Method: http.MethodPost,
		Path: "/v1/billing/" + url.PathEscape(billingKey), IdempotencyKey: idemKey, Body: req})
}

// Cancel cancels a payment whole or in part, under idemKey.
func (c *Client) Cancel(ctx context.Context, paymentKey, idemKey string, req CancelRequest) (Payment, error) {
	return c.payment(ctx, adapters.Call{Op: "cancel", Method: http.MethodPost,
		Path: "/v1/payments/" + url.PathEscape(paymentKey) + "/cancel", IdempotencyKey: idemKey, Body: req})
}

// GetPayment is GET /v1/payments/{paymentKey}.
func (c *Client) GetPayment(ctx context.Context, paymentKey string) (Payment, error) {
	return c.payment(ctx, adapters.Call{Op: "query", Method: http.MethodGet,
		Path: "/v1/payments/" + url.PathEscape(paymentKey), Lookup: true})
}

// GetPaymentByOrderID is GET /v1/payments/orders/{orderId}.
func (c *Client) GetPaymentByOrderID(ctx context.Context, orderID string) (Payment, error) {
	return c.payment(ctx, adapters.Call{Op: "query", Method: http.MethodGet,
		Path: "/v1/payments/orders/" + url.PathEscape(orderID), Lookup: true})
}

// Settlements is GET /v1/settlements for startDate..endDate (YYYY-MM-DD), one page.
func (c *Client) Settlements(ctx context.Context, startDate, endDate string, page, size int) ([]Settlement, error) {
	var out []Settlement
	q := url.Values{"startDate": {startDate}, "endDate": {endDate}}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if size > 0 {
		q.Set("size", strconv.Itoa(size))
	}
	err := c.call.Do(ctx, adapters.Call{Op: "settlements", Method: http.MethodGet, Path: "/v1/settlements", Query: q}, &out)
	return out, err
}

// CashReceiptRequest is POST /v1/cash-receipts. type is 소득공제 (income
// deduction) or 지출증빙 (expense proof); customerIdentityNumber is a phone
// number, a business registration number or the NTS self-issue number.
type CashReceiptRequest struct {
	Amount                 int64  `json:"amount"`
	OrderID                string `json:"orderId"`
	OrderName              string `json:"orderName"`
	CustomerIdentityNumber string `json:"customerIdentityNumber"`
	Type                   string `json:"type"`
	TaxFreeAmount          int64  `json:"taxFreeAmount,omitempty"`
}

// CashReceiptCancelRequest is POST /v1/cash-receipts/{receiptKey}/cancel; no
// amount cancels the whole receipt.
type CashReceiptCancelRequest struct {
	Amount int64 `json:"amount,omitempty"`
}

// Cash-receipt types and issue statuses as Toss spells them.
const (
	ReceiptTypeIncomeDeduction = "소득공제"
	ReceiptTypeProof           = "지출증빙"
	ReceiptInProgress          = "IN_PROGRESS" // issued, not yet registered at the NTS
	ReceiptCompleted           = "COMPLETED"
	ReceiptFailed              = "FAILED"
)

// CashReceipt is Toss's CashReceipt object (the fields paysaga reads). After
// a partial cancel, amount is what the receipt still stands for (Toss's pages
// do not say; the sandbox's reading, docs/connectors.md).
type CashReceipt struct {
	ReceiptKey    string `json:"receiptKey"`
	OrderID       string `json:"orderId"`
	Type          string `json:"type"`
	IssueNumber   string `json:"issueNumber"`
	ReceiptURL    string `json:"receiptUrl"`
	Amount        int64  `json:"amount"`
	TaxFreeAmount int64  `json:"taxFreeAmount"`
	IssueStatus   string `json:"issueStatus"`
}

// IssueCashReceipt is POST /v1/cash-receipts under idemKey.
func (c *Client) IssueCashReceipt(ctx context.Context, idemKey string, req CashReceiptRequest) (CashReceipt, error) {
	var out CashReceipt
	err := c.call.Do(ctx, adapters.Call{Op: "cash_receipt", Method: http.MethodPost, Path: "/v1/cash-receipts",
		IdempotencyKey: idemKey, Body: req}, &out)
	return out, err
}

// CancelCashReceipt is POST /v1/cash-receipts/{receiptKey}/cancel under idemKey.
func (c *Client) CancelCashReceipt(ctx context.Context, receiptKey, idemKey string, req CashReceiptCancelRequest) (CashReceipt, error) {
	var out CashReceipt
	err := c.call.Do(ctx, adapters.Call{Op: "cash_receipt_cancel", Method: http.MethodPost,
		Path: "/v1/cash-receipts/" + url.PathEscape(receiptKey) + "/cancel", IdempotencyKey: idemKey, Body: req}, &out)
	return out, err
}

// CashReceipts is GET /v1/cash-receipts?requestDate=YYYY-MM-DD, one page.
func (c *Client) CashReceipts(ctx context.Context, requestDate, startingAfter string, limit int) ([]CashReceipt, error) {
	var out []CashReceipt
	q := url.Values{"requestDate": {requestDate}}
	if startingAfter != "" {
		q.Set("startingAfter", startingAfter)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	err := c.call.Do(ctx, adapters.Call{Op: "cash_receipts", Method: http.MethodGet, Path: "/v1/cash-receipts", Query: q, Lookup: true}, &out)
	return out, err
}

func (c *Client) payment(ctx context.Context, call adapters.Call) (Payment, error) {
	var out Payment
	err := c.call.Do(ctx, call, &out)
	return out, err
}
