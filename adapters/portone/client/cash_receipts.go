package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/paysaga/paysaga/adapters"
)

// PortOne's cash-receipt (현금영수증) API, as its OpenAPI document (V2) lists
// it: POST /cash-receipts issues one by hand for a payment made elsewhere
// (the merchant assigns its paymentId), POST /payments/{paymentId}/cash-receipt/cancel
// takes it back whole, GET /payments/{paymentId}/cash-receipt reads it.
const (
	TypeCashReceiptAlreadyIssued = "CashReceiptAlreadyIssuedError" // 409 on issue: this paymentId has one
	TypeCashReceiptNotFound      = "CashReceiptNotFoundError"      // 404
	TypeCashReceiptNotIssued     = "CashReceiptNotIssuedError"     // 409 on cancel (the sandbox's status): not issued, or cancelled
	TypeChannelNotFound          = "ChannelNotFoundError"          // 404 on issue
)

// CashReceiptType values.
const (
	CashReceiptPersonal  = "PERSONAL"  // 소득공제
	CashReceiptCorporate = "CORPORATE" // 지출증빙
)

// Cash-receipt statuses (GET /payments/{paymentId}/cash-receipt).
const (
	CashReceiptIssued      = "ISSUED"
	CashReceiptCancelled   = "CANCELLED"
	CashReceiptIssueFailed = "ISSUE_FAILED"
)

// IssueCashReceiptBody is POST /cash-receipts.
type IssueCashReceiptBody struct {
	StoreID    string                        `json:"storeId,omitempty"`
	PaymentID  string                        `json:"paymentId"`
	ChannelKey string                        `json:"channelKey"`
	Type       string                        `json:"type"`
	OrderName  string                        `json:"orderName"`
	Currency   string                        `json:"currency"`
	Amount     PaymentAmountInput            `json:"amount"`
	Customer   IssueCashReceiptCustomerInput `json:"customer"`
}

// IssueCashReceiptCustomerInput is the receipt's customer: the identity
// number the NTS files it under (phone, business number, self-issue number).
type IssueCashReceiptCustomerInput struct {
	IdentityNumber string `json:"identityNumber"`
}

// IssueCashReceiptResponse answers the issue.
type IssueCashReceiptResponse struct {
	CashReceipt CashReceiptSummary `json:"cashReceipt"`
}

type CashReceiptSummary struct {
	IssueNumber string `json:"issueNumber"`
	URL         string `json:"url"`
	PgReceiptID string `json:"pgReceiptId"`
}

// CancelCashReceiptResponse answers the cancel (always of the whole receipt).
type CancelCashReceiptResponse struct {
	CancelledAmount int64  `json:"cancelledAmount"`
	CancelledAt     string `json:"cancelledAt"`
}

// CashReceipt is GET /payments/{paymentId}/cash-receipt: IssuedCashReceipt,
// CancelledCashReceipt or IssueFailedCashReceipt by status (the fields
// paysaga reads).
type CashReceipt struct {
	Status        string `json:"status"`
	PaymentID     string `json:"paymentId"`
	Amount        int64  `json:"amount"`
	TaxFreeAmount int64  `json:"taxFreeAmount"`
	Currency      string `json:"currency"`
	OrderName     string `json:"orderName"`
	Type          string `json:"type"`
	PgReceiptID   string `json:"pgReceiptId"`
	IssueNumber   string `json:"issueNumber"`
	URL           string `json:"url"`
	IssuedAt      string `json:"issuedAt"`
	CancelledAt   string `json:"cancelledAt"`
}

// IssueCashReceipt issues a receipt under body.PaymentID. PortOne takes no
// Idempotency-Key: a second issue under the id is CashReceiptAlreadyIssuedError.
func (c *Client) IssueCashReceipt(ctx context.Context, body IssueCashReceiptBody) (IssueCashReceiptResponse, error) {
	var out IssueCashReceiptResponse
	err := c.call.Do(ctx, adapters.Call{Op: "cash_receipt", Method: http.MethodPost, Path: "/cash-receipts", Body: body}, &out)
	return out, err
}

// CancelCashReceipt cancels paymentId's receipt, whole (the API takes no amount).
func (c *Client) CancelCashReceipt(ctx context.Context, paymentID string) (CancelCashReceiptResponse, error) {
	var out CancelCashReceiptResponse
	err := c.call.Do(ctx, adapters.Call{Op: "cash_receipt_cancel", Method: http.MethodPost,
		Path: "/payments/" + url.PathEscape(paymentID) + "/cash-receipt/cancel", Query: c.storeQuery()}, &out)
	return out, err
}

// GetCashReceipt reads paymentId's receipt; CashReceiptNotFoundError is NotFound.
func (c *Client) GetCashReceipt(ctx context.Context, paymentID string) (CashReceipt, error) {
	var out CashReceipt
	err := c.call.Do(ctx, adapters.Call{Op: "cash_receipts", Method: http.MethodGet,
		Path: "/payments/" + url.PathEscape(paymentID) + "/cash-receipt", Query: c.storeQuery(), Lookup: true}, &out)
	return out, err
}
