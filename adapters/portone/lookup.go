package portone

import (
	"context"
	"time"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// GetByIdempotencyKey finds the payment authorized under key by its paymentId.
// A payment that is not paid (READY, FAILED) took no money: NotFound, so the
// caller may retry under the same key. A PAY_PENDING one is answered as it is
// (pending): the PG has it and will decide.
func (c *Connector) GetByIdempotencyKey(ctx context.Context, key string) (pg.Payment, error) {
	if key == "" {
		return pg.Payment{}, c.api.Invalid("query", "idempotency key is required")
	}
	p, err := c.api.GetPayment(ctx, PaymentIDFor(key))
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	if p.Status == client.StatusReady || p.Status == client.StatusFailed {
		return pg.Payment{}, &adapters.Error{Provider: "pg:" + c.name, Op: "query", Kind: adapters.NotFound, Status: 200,
			Code: "PAYMENT_NOT_FOUND", Message: "the payment under this key took no money (" + p.Status + ")"}
	}
	return payment(p), nil
}

// GetPayment is GET /payments/{paymentId}; paysaga's payment key at PortOne is
// the paymentId.
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

// payment translates PortOne's Payment.
func payment(p client.Payment) pg.Payment {
	out := pg.Payment{PaymentKey: p.ID, OrderID: p.ID, Amount: p.Amount.Total, Currency: p.Currency,
		CapturedAmount: p.Amount.Paid, CanceledAmount: p.Amount.Cancelled}
	if p.PaidAt != nil {
		out.ApprovedAt = p.PaidAt.In(time.UTC)
	}
	switch p.Status {
	case client.StatusPaid:
		out.Status = "captured"
	case client.StatusPartialCancelled:
		out.Status = "partially_canceled"
	case client.StatusCancelled:
		out.Status = "canceled"
	case client.StatusReady, client.StatusPayPending, client.StatusVirtualAccount:
		out.Status = "pending"
	default:
		out.Status = "failed"
	}
	return out
}
