package toss

import (
	"context"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss/client"
)

// Cancel cancels the payment (POST /v1/payments/{paymentKey}/cancel): the whole
// balance when Amount is 0, else cancelAmount. At Toss a void of an approval and
// a refund are the same call.
func (c *Connector) Cancel(ctx context.Context, req pg.CancelRequest) (pg.Payment, error) {
	const op = "cancel"
	if req.IdempotencyKey == "" || req.PaymentKey == "" || req.Amount < 0 {
		return pg.Payment{}, c.api.Invalid(op, "idempotency key and payment key are required; the amount must not be negative")
	}
	reason := req.Reason
	if reason == "" {
		reason = "canceled by the merchant" // cancelReason is required
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	body := client.CancelRequest{CancelReason: reason, CancelAmount: req.Amount}
	if req.Amount > 0 {
		// Toss's default is 0 tax-free; a whole cancel (no cancelAmount) takes the rest of both parts.
		body.TaxFreeAmount = req.TaxFreeAmount
	}
	p, err := c.api.Cancel(ctx, req.PaymentKey, req.IdempotencyKey, body)
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	return payment(p), nil
}
