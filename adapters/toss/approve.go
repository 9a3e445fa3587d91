package toss

import (
	"context"
	"errors"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss/client"
)

// Authorize approves the payment with the billing key (POST
// /v1/billing/{billingKey}). At Toss an approval is authorization and capture in
// one: the answer is a captured payment, and the checkout takes no capture step.
// ALREADY_PROCESSED_PAYMENT (this orderId was approved before, e.g. under a key
// Toss no longer remembers) is resolved by looking the order up.
func (c *Connector) Authorize(ctx context.Context, req pg.AuthorizeRequest) (pg.Payment, error) {
	const op = "authorize"
	if req.IdempotencyKey == "" || req.BillingKey == "" || req.CustomerKey == "" {
		return pg.Payment{}, c.api.Invalid(op, "idempotency key, billing key and customer key are required")
	}
	if req.Currency != "KRW" {
		// The billing API charges in won only.
		return pg.Payment{}, c.api.Invalid(op, "this PG charges KRW only")
	}
	if req.InstallmentMonths != 0 && !capabilities.Installments.Allows(req.InstallmentMonths, req.Amount) {
		return pg.Payment{}, c.api.Invalid(op, "installments are 2-12 months on 50,000 won or more")
	}
	orderID := OrderIDFor(req.IdempotencyKey)
	p, err := c.api.ChargeBillingKey(ctx, req.BillingKey, req.IdempotencyKey, client.BillingChargeRequest{
		CustomerKey: req.CustomerKey, Amount: req.Amount, OrderID: orderID, OrderName: orderName(req.OrderID),
		CardInstallmentPlan: req.InstallmentMonths,
		TaxFreeAmount:       req.TaxFreeAmount,
	})
	if e := (*adapters.Error)(nil); errors.As(err, &e) && e.Code == client.CodeAlreadyProcessedPayment {
		p, err = c.api.GetPaymentByOrderID(ctx, orderID)
	}
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	return payment(p), nil
}

// Capture has nothing to do at Toss: the approval captured. It answers the
// payment as it stands, so a caller that does not ask the capabilities still
// sees the money taken.
func (c *Connector) Capture(ctx context.Context, req pg.CaptureRequest) (pg.Payment, error) {
	return c.GetPayment(ctx, req.PaymentKey)
}

// orderName is what the customer's card statement and Toss's console show.
func orderName(orderID string) string {
	name := "order " + orderID
	if len(name) > 100 {
		name = name[:100]
	}
	return name
}
