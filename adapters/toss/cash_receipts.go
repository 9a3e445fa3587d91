package toss

import (
	"context"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss/client"
)

// The connector issues cash receipts (pg.CashReceipts) through Toss's
// cash-receipt API: POST /v1/cash-receipts, POST /v1/cash-receipts/{receiptKey}/cancel
// and the look-up GET /v1/cash-receipts?requestDate. Each POST carries an
// Idempotency-Key; a lost answer is found by its orderId on the request day.
var _ pg.CashReceipts = (*Connector)(nil)

// receiptTypes maps paysaga's receipt types to Toss's.
var receiptTypes = map[string]string{
	pg.ReceiptIncomeDeduction: client.ReceiptTypeIncomeDeduction,
	pg.ReceiptProof:           client.ReceiptTypeProof,
}

// IssueCashReceipt issues a receipt for a payment already made by bank account
// or wallet.
func (c *Connector) IssueCashReceipt(ctx context.Context, req pg.IssueCashReceiptRequest) (pg.CashReceipt, error) {
	const op = "cash_receipt"
	typ, ok := receiptTypes[req.Type]
	switch {
	case req.IdempotencyKey == "" || req.OrderID == "" || req.Identity == "":
		return pg.CashReceipt{}, c.api.Invalid(op, "idempotency key, order id and identity are required")
	case !ok:
		return pg.CashReceipt{}, c.api.Invalid(op, "unknown receipt type "+req.Type)
	case req.Amount <= 0 || req.TaxFreeAmount < 0 || req.TaxFreeAmount > req.Amount:
		return pg.CashReceipt{}, c.api.Invalid(op, "the amount must be > 0 and its tax-free part within 0..amount")
	}
	name := req.OrderName
	if name == "" {
		name = orderName(req.OrderID)
	}
	r, err := c.api.IssueCashReceipt(ctx, req.IdempotencyKey, client.CashReceiptRequest{Amount: req.Amount, OrderID: OrderIDFor(req.OrderID),
		OrderName: name, CustomerIdentityNumber: req.Identity, Type: typ, TaxFreeAmount: req.TaxFreeAmount})
	if err != nil {
		return pg.CashReceipt{}, translate(err)
	}
	return cashReceipt(r), nil
}

// CancelCashReceipt takes back Amount of the receipt (all that remains with 0).
func (c *Connector) CancelCashReceipt(ctx context.Context, req pg.CancelCashReceiptRequest) (pg.CashReceipt, error) {
	const op = "cash_receipt_cancel"
	if req.IdempotencyKey == "" || req.ReceiptKey == "" || req.Amount < 0 {
		return pg.CashReceipt{}, c.api.Invalid(op, "idempotency key and receipt key are required; the amount must not be negative")
	}
	r, err := c.api.CancelCashReceipt(ctx, req.ReceiptKey, req.IdempotencyKey, client.CashReceiptCancelRequest{Amount: req.Amount})
	if err != nil {
		return pg.CashReceipt{}, translate(err)
	}
	return cashReceipt(r), nil
}

// FindCashReceipt pages the day's receipts for the order's.
func (c *Connector) FindCashReceipt(ctx context.Context, orderID, requestDate string) (pg.CashReceipt, error) {
	want := OrderIDFor(orderID)
	after := ""
	for {
		page, err := c.api.CashReceipts(ctx, requestDate, after, 100)
		if err != nil {
			return pg.CashReceipt{}, translate(err)
		}
		for _, r := range page {
			if r.OrderID == want {
				return cashReceipt(r), nil
			}
		}
		if len(page) < 100 {
			return pg.CashReceipt{}, &adapters.Error{Provider: "pg:" + c.name, Op: "cash_receipts", Kind: adapters.NotFound,
				Code: "RECEIPT_NOT_FOUND", Message: "no cash receipt for order " + orderID + " on " + requestDate}
		}
		after = page[len(page)-1].ReceiptKey
	}
}

// cashReceipt translates Toss's receipt; IN_PROGRESS is issued, not yet registered.
func cashReceipt(r client.CashReceipt) pg.CashReceipt {
	out := pg.CashReceipt{ReceiptKey: r.ReceiptKey, OrderID: r.OrderID, IssueNumber: r.IssueNumber, Amount: r.Amount,
		TaxFreeAmount: r.TaxFreeAmount, ReceiptURL: r.ReceiptURL}
	for k, v := range receiptTypes {
		if v == r.Type {
			out.Type = k
		}
	}
	switch r.IssueStatus {
	case client.ReceiptCompleted:
		out.Status = pg.ReceiptRegistered
	case client.ReceiptFailed:
		out.Status = pg.ReceiptFailed
	default:
		out.Status = pg.ReceiptIssued
	}
	if r.Amount == 0 && out.Status != pg.ReceiptFailed {
		out.Status = pg.ReceiptCanceled
	}
	return out
}
