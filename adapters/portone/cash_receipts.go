package portone

import (
	"context"
	"errors"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// The connector issues cash receipts (pg.CashReceipts) through PortOne's
// cash-receipt API: POST /cash-receipts (a receipt issued by hand for a
// payment made elsewhere: a bank debit or the wallet), POST
// /payments/{paymentId}/cash-receipt/cancel and GET /payments/{paymentId}/cash-receipt.
// PortOne takes no Idempotency-Key: the receipt's paymentId (ReceiptIDFor the
// order) is the key, a repeat answers CashReceiptAlreadyIssuedError, and the
// look-up by that id resolves it.
var _ pg.CashReceipts = (*Connector)(nil)

// receiptTypes maps paysaga's receipt types to PortOne's CashReceiptType.
var receiptTypes = map[string]string{
	pg.ReceiptIncomeDeduction: client.CashReceiptPersonal,
	pg.ReceiptProof:           client.CashReceiptCorporate,
}

// ReceiptIDFor is the PortOne paymentId a receipt for paysaga's order (the
// payment id) is filed under. It is not the payment's own id: a split payment
// whose card part PortOne charged already has a PortOne payment under that.
func ReceiptIDFor(orderID string) string { return "receipt-" + PaymentIDFor(orderID) }

// IssueCashReceipt issues the receipt, or finds the one an earlier try issued.
func (c *Connector) IssueCashReceipt(ctx context.Context, req pg.IssueCashReceiptRequest) (pg.CashReceipt, error) {
	const op = "cash_receipt"
	typ, ok := receiptTypes[req.Type]
	switch {
	case c.receiptChannel == "":
		return pg.CashReceipt{}, c.api.Invalid(op, "no cash-receipt channel is configured for this store")
	case req.OrderID == "" || req.Identity == "":
		return pg.CashReceipt{}, c.api.Invalid(op, "order id and identity are required")
	case !ok:
		return pg.CashReceipt{}, c.api.Invalid(op, "unknown receipt type "+req.Type)
	case req.Amount <= 0 || req.TaxFreeAmount < 0 || req.TaxFreeAmount > req.Amount:
		return pg.CashReceipt{}, c.api.Invalid(op, "the amount must be > 0 and its tax-free part within 0..amount")
	}
	name := req.OrderName
	if name == "" {
		name = "order " + req.OrderID
	}
	id := ReceiptIDFor(req.OrderID)
	res, err := c.api.IssueCashReceipt(ctx, client.IssueCashReceiptBody{StoreID: c.api.StoreID(), PaymentID: id,
		ChannelKey: c.receiptChannel, Type: typ, OrderName: name, Currency: "KRW",
		Amount:   client.PaymentAmountInput{Total: req.Amount, TaxFree: req.TaxFreeAmount},
		Customer: client.IssueCashReceiptCustomerInput{IdentityNumber: req.Identity}})
	if isType(err, client.TypeCashReceiptAlreadyIssued) {
		return c.FindCashReceipt(ctx, req.OrderID, "")
	}
	if err != nil {
		return pg.CashReceipt{}, translateReceipt(err)
	}
	out := pg.CashReceipt{ReceiptKey: id, OrderID: req.OrderID, Type: req.Type, Status: pg.ReceiptIssued,
		IssueNumber: res.CashReceipt.IssueNumber, Amount: req.Amount, TaxFreeAmount: req.TaxFreeAmount, ReceiptURL: res.CashReceipt.URL}
	if out.IssueNumber != "" {
		out.Status = pg.ReceiptRegistered
	}
	return out, nil
}

// CancelCashReceipt takes the receipt back. PortOne cancels a receipt whole
// (its cancel takes no amount): a partial cancel is refused before anything
// is sent (Invalid partial_cancel_not_supported); the caller may cancel and
// issue a receipt for what remains. A repeat (CashReceiptNotIssuedError) is
// resolved by reading the receipt: cancelled is done.
func (c *Connector) CancelCashReceipt(ctx context.Context, req pg.CancelCashReceiptRequest) (pg.CashReceipt, error) {
	const op = "cash_receipt_cancel"
	if req.ReceiptKey == "" || req.Amount < 0 {
		return pg.CashReceipt{}, c.api.Invalid(op, "the receipt key is required; the amount must not be negative")
	}
	now, err := c.api.GetCashReceipt(ctx, req.ReceiptKey)
	if err != nil {
		return pg.CashReceipt{}, translateReceipt(err)
	}
	if now.Status == client.CashReceiptCancelled {
		return cashReceipt(now), nil
	}
	if req.Amount != 0 && req.Amount != now.Amount {
		return pg.CashReceipt{}, &adapters.Error{Provider: "pg:" + c.name, Op: op, Kind: adapters.Invalid, Code: "PARTIAL_CANCEL_NOT_SUPPORTED",
			Message: "PortOne cancels a cash receipt whole"}
	}
	_, err = c.api.CancelCashReceipt(ctx, req.ReceiptKey)
	if err != nil && !isType(err, client.TypeCashReceiptNotIssued) {
		return pg.CashReceipt{}, translateReceipt(err)
	}
	now, err = c.api.GetCashReceipt(ctx, req.ReceiptKey)
	if err != nil {
		return pg.CashReceipt{}, translateReceipt(err)
	}
	return cashReceipt(now), nil
}

// FindCashReceipt reads the order's receipt by its paymentId (PortOne looks
// receipts up by id, so the request date is not needed).
func (c *Connector) FindCashReceipt(ctx context.Context, orderID, _ string) (pg.CashReceipt, error) {
	r, err := c.api.GetCashReceipt(ctx, ReceiptIDFor(orderID))
	if err != nil {
		return pg.CashReceipt{}, translateReceipt(err)
	}
	out := cashReceipt(r)
	out.OrderID = orderID
	return out, nil
}

// cashReceipt translates PortOne's receipt. PortOne has no state for "sent
// to the NTS, not registered yet": an ISSUED receipt without its approval
// number (issueNumber) is issued, one with it registered.
func cashReceipt(r client.CashReceipt) pg.CashReceipt {
	out := pg.CashReceipt{ReceiptKey: r.PaymentID, IssueNumber: r.IssueNumber, Amount: r.Amount, TaxFreeAmount: r.TaxFreeAmount, ReceiptURL: r.URL}
	for k, v := range receiptTypes {
		if v == r.Type {
			out.Type = k
		}
	}
	switch {
	case r.Status == client.CashReceiptCancelled:
		out.Status, out.Amount, out.TaxFreeAmount = pg.ReceiptCanceled, 0, 0
	case r.Status == client.CashReceiptIssueFailed:
		out.Status = pg.ReceiptFailed
	case r.IssueNumber != "":
		out.Status = pg.ReceiptRegistered
	default:
		out.Status = pg.ReceiptIssued
	}
	return out
}

// translateReceipt maps the cash-receipt errors; the rest as for payments.
func translateReceipt(err error) error {
	var e *adapters.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case client.TypeCashReceiptNotFound:
		out := *e
		out.ProviderCode, out.Code = e.Code, "RECEIPT_NOT_FOUND"
		return &out
	case client.TypeCashReceiptNotIssued, client.TypeChannelNotFound:
		out := *e
		out.ProviderCode, out.Kind = e.Code, adapters.Invalid
		return &out
	}
	return translate(err)
}

func isType(err error, typ string) bool {
	var e *adapters.Error
	return errors.As(err, &e) && e.Code == typ
}
