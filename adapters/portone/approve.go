package portone

import (
	"context"
	"errors"
	"time"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone/client"
	"github.com/paysaga/paysaga/tax"
)

// Authorize pays with the billing key under the paymentId derived from the
// idempotency key (POST /payments/{paymentId}/billing-key): approval and
// capture in one call. AlreadyPaidError (this paymentId was paid, e.g. the
// answer to the first try was lost) is resolved by looking the payment up.
func (c *Connector) Authorize(ctx context.Context, req pg.AuthorizeRequest) (pg.Payment, error) {
	const op = "authorize"
	if req.IdempotencyKey == "" || req.BillingKey == "" {
		return pg.Payment{}, c.api.Invalid(op, "idempotency key and billing key are required")
	}
	if req.InstallmentMonths != 0 && !capabilities.Installments.Allows(req.InstallmentMonths, req.Amount) {
		return pg.Payment{}, c.api.Invalid(op, "installments are 2-12 months on 50,000 won or more")
	}
	split, err := tax.Split(req.Amount, req.TaxFreeAmount)
	if err != nil {
		return pg.Payment{}, c.api.Invalid(op, err.Error())
	}
	paymentID := PaymentIDFor(req.IdempotencyKey)
	in := client.BillingKeyPaymentInput{StoreID: c.api.StoreID(), BillingKey: req.BillingKey, OrderName: orderName(req.OrderID),
		Amount: client.PaymentAmountInput{Total: req.Amount, TaxFree: split.TaxFree, VAT: &split.VAT}, Currency: req.Currency,
		InstallmentMonth: req.InstallmentMonths, UseFreeInterestFromMerchant: req.InstallmentMonths > 0 && req.InterestFree}
	if req.CustomerKey != "" {
		in.Customer = &client.CustomerInput{ID: req.CustomerKey}
	}
	res, err := c.api.PayWithBillingKey(ctx, paymentID, in)
	var e *adapters.Error
	if errors.As(err, &e) && e.Code == client.TypeAlreadyPaid {
		return c.GetByIdempotencyKey(ctx, req.IdempotencyKey)
	}
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	if res.Payment.PaidAt == nil {
		// Not paid yet (PAY_PENDING): the payment says where it stands; its
		// decision comes by webhook (Transaction.Paid / Transaction.Failed).
		return c.GetPayment(ctx, paymentID)
	}
	return pg.Payment{PaymentKey: paymentID, OrderID: paymentID, Status: "captured", Amount: req.Amount,
		CapturedAmount: req.Amount, Currency: req.Currency, ApprovedAt: res.Payment.PaidAt.In(time.UTC)}, nil
}

// Capture has nothing to do: the billing-key payment was paid. It answers the
// payment as it stands.
func (c *Connector) Capture(ctx context.Context, req pg.CaptureRequest) (pg.Payment, error) {
	return c.GetPayment(ctx, req.PaymentKey)
}

func orderName(orderID string) string {
	name := "order " + orderID
	if len(name) > 100 {
		name = name[:100]
	}
	return name
}
