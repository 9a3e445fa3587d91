package pg

import "context"

// CashReceipts is a PG that issues cash receipts (현금영수증) to the National Tax
// Service for payments by bank account or prepaid wallet. A receipt is issued
// at once and registered at the NTS later (Toss: issueStatus IN_PROGRESS, then
// COMPLETED); cancels take it back whole or in part. Every call is idempotent
// by its key. A connector offers it when it implements this interface
// (ReceiptsOf); the workflow asks that, never which provider it is.
type CashReceipts interface {
	IssueCashReceipt(ctx context.Context, req IssueCashReceiptRequest) (CashReceipt, error)
	CancelCashReceipt(ctx context.Context, req CancelCashReceiptRequest) (CashReceipt, error)
	// FindCashReceipt is the look-up by the order id the receipt was issued
	// for, on the day it was requested (YYYY-MM-DD, Korea time): how a lost
	// answer is resolved and how registration is observed. NotFound when none.
	FindCashReceipt(ctx context.Context, orderID, requestDate string) (CashReceipt, error)
}

// ReceiptsOf answers whether c issues cash receipts, and how.
func ReceiptsOf(c Client) (CashReceipts, bool) {
	r, ok := c.(CashReceipts)
	return r, ok
}

// Cash-receipt types: for the customer's income deduction (a phone number or
// the NTS self-issue number 010-000-1234) or a business's expense proof (a
// business registration number).
const (
	ReceiptIncomeDeduction = "income_deduction"
	ReceiptProof           = "proof"
)

// SelfIssueNumber is the NTS's number for a voluntary receipt when the
// customer gives no identity (자진발급).
const SelfIssueNumber = "0100001234"

type IssueCashReceiptRequest struct {
	IdempotencyKey string // receipt:{payment}:issue
	OrderID        string // unique per receipt: the payment id
	OrderName      string
	Amount         int64
	TaxFreeAmount  int64
	Type           string // ReceiptIncomeDeduction | ReceiptProof
	Identity       string // digits only: phone, business number or SelfIssueNumber
}

type CancelCashReceiptRequest struct {
	IdempotencyKey string // receipt:{payment}:cancel:{refund}
	ReceiptKey     string
	Amount         int64 // 0 cancels all that remains
}

// CashReceipt is the PG's view of one receipt.
type CashReceipt struct {
	ReceiptKey    string
	OrderID       string
	Type          string
	Status        string // issued (awaiting the NTS) | registered | failed | canceled
	IssueNumber   string // the NTS approval number, once registered
	Amount        int64  // what the receipt stands for now (after cancels)
	TaxFreeAmount int64
	ReceiptURL    string
}

// Cash-receipt statuses.
const (
	ReceiptIssued     = "issued"
	ReceiptRegistered = "registered"
	ReceiptFailed     = "failed"
	ReceiptCanceled   = "canceled"
)
