package toss

import (
	"context"
	"time"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss/client"
)

// GetByIdempotencyKey finds the payment the approval under key created, by its
// orderId (GET /v1/payments/orders/{orderId}); Toss has no look-up by
// Idempotency-Key. NOT_FOUND_PAYMENT is adapters.NotFound. An order Toss aborted
// (status ABORTED or EXPIRED) moved no money: it reads as not found, so the
// caller may retry with the same key.
func (c *Connector) GetByIdempotencyKey(ctx context.Context, key string) (pg.Payment, error) {
	if key == "" {
		return pg.Payment{}, c.api.Invalid("query", "idempotency key is required")
	}
	p, err := c.api.GetPaymentByOrderID(ctx, OrderIDFor(key))
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	return payment(p), nil
}

// GetPayment is GET /v1/payments/{paymentKey}.
func (c *Connector) GetPayment(ctx context.Context, paymentKey string) (pg.Payment, error) {
	if paymentKey == "" {
		return pg.Payment{}, c.api.Invalid("query", "payment key is required")
	}
	p, err := c.api.GetPayment(ctx, paymentKey)
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	return payment(p), nil
}

// payment translates Toss's Payment object. DONE is a captured approval;
// IN_PROGRESS and WAITING_FOR_DEPOSIT are still being decided; ABORTED and
// EXPIRED took nothing.
func payment(p client.Payment) pg.Payment {
	out := pg.Payment{PaymentKey: p.PaymentKey, OrderID: p.OrderID, Amount: p.TotalAmount, Currency: p.Currency}
	if p.ApprovedAt != nil {
		out.ApprovedAt = p.ApprovedAt.In(time.UTC)
	}
	for _, cn := range p.Cancels {
		out.CanceledAmount += cn.CancelAmount
	}
	switch p.Status {
	case client.StatusDone:
		out.Status, out.CapturedAmount = "captured", p.TotalAmount
	case client.StatusCanceled:
		out.Status, out.CapturedAmount = "canceled", p.TotalAmount
	case client.StatusPartialCanceled:
		out.Status, out.CapturedAmount = "partially_canceled", p.TotalAmount
	case client.StatusReady, client.StatusInProgress, client.StatusWaitingForDeposit:
		out.Status = "pending"
	default: // ABORTED, EXPIRED
		out.Status = "failed"
	}
	return out
}
