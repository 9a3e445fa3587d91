package portone

import (
	"context"
	"errors"
	"strings"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// Cancel cancels a payment whole (Amount 0) or in part. PortOne takes no
// Idempotency-Key, so the cancel is made idempotent here: its reason carries
// the key ("... [refund:r1]"); before cancelling, the payment is read, and a
// cancellation with that tag is the answer of a cancel already made; the cancel
// is sent with currentCancellableAmount, so that if another cancel landed in
// between PortOne refuses it (CancellableAmountConsistencyBrokenError) instead
// of cancelling twice, and the payment is read again.
func (c *Connector) Cancel(ctx context.Context, req pg.CancelRequest) (pg.Payment, error) {
	const op = "cancel"
	if req.IdempotencyKey == "" || req.PaymentKey == "" || req.Amount < 0 {
		return pg.Payment{}, c.api.Invalid(op, "idempotency key and payment key are required; the amount must not be negative")
	}
	tag := "[" + req.IdempotencyKey + "]"
	cur, err := c.api.GetPayment(ctx, req.PaymentKey)
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	if cancelledUnder(cur, tag) {
		return payment(cur), nil
	}
	cancellable := cur.Amount.Paid - cur.Amount.Cancelled
	// An omitted taxFreeAmount cancels taxable money only (PortOne's rule), so
	// a whole cancel names the tax-free part that remains.
	taxFree := req.TaxFreeAmount
	if req.Amount == 0 {
		taxFree = cur.Amount.TaxFree - cur.Amount.CancelledTaxFree
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		reason = "canceled by the merchant"
	}
	_, err = c.api.CancelPayment(ctx, req.PaymentKey, client.CancelPaymentBody{StoreID: c.api.StoreID(), Amount: req.Amount, TaxFreeAmount: taxFree,
		Reason: reason + " " + tag, Requester: "ADMIN", CurrentCancellableAmount: &cancellable})
	var e *adapters.Error
	if adapters.Is(err, adapters.Ambiguous) || (errors.As(err, &e) && e.Code == client.TypeCancellableAmountMismatch) {
		// Did our cancel land? Only the payment can say.
		if again, gerr := c.api.GetPayment(ctx, req.PaymentKey); gerr == nil && cancelledUnder(again, tag) {
			return payment(again), nil
		}
	}
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	after, err := c.api.GetPayment(ctx, req.PaymentKey)
	if err != nil {
		return pg.Payment{}, translate(err)
	}
	return payment(after), nil
}

func cancelledUnder(p client.Payment, tag string) bool {
	for _, cn := range p.Cancellations {
		if cn.Status == "SUCCEEDED" && strings.HasSuffix(cn.Reason, tag) {
			return true
		}
	}
	return false
}
