package portone

import (
	"errors"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// pgDeclineCodes are the pgCodes of a PgProviderError that paysaga reports as
// insufficient funds; every other refusal is card_declined. PortOne passes the
// channel's PG code through as is, so these are those of the channel's PG (the
// sandbox's channel speaks Toss Payments' codes).
var insufficientFunds = map[string]bool{"REJECT_CARD_PAYMENT": true, "NOT_ENOUGH_BALANCE": true, "EXCEED_CARD_LIMIT": true}

// translate rewrites a classified PortOne failure into paysaga's vocabulary.
// PgProviderError (502) is the PG's refusal, final for this paymentId: Declined,
// not a retryable 5xx. The 409s on a cancel say the payment cannot be cancelled
// so: Invalid. PortOne's type stays in ProviderCode.
func translate(err error) error {
	var e *adapters.Error
	if !errors.As(err, &e) || e.Code == "" {
		return err
	}
	out := *e
	out.ProviderCode = e.Code
	if e.ProviderCode != "" {
		out.ProviderCode = e.Code + ":" + e.ProviderCode
	}
	switch e.Code {
	case client.TypePgProvider:
		out.Kind, out.Code = adapters.Declined, "CARD_DECLINED"
		if insufficientFunds[e.ProviderCode] {
			out.Code = "INSUFFICIENT_FUNDS"
		}
	case client.TypePaymentNotFound, client.TypeBillingKeyNotFound:
		out.Code = "PAYMENT_NOT_FOUND"
	case client.TypePaymentAlreadyCancelled:
		out.Kind, out.Code = adapters.Invalid, "ALREADY_CANCELED"
	case client.TypeCancelAmountExceeds, client.TypeSumOfPartsExceeds, client.TypeCancelTaxFreeExceeds, client.TypeCancelTaxAmountExceeds:
		out.Kind, out.Code = adapters.Invalid, "NOT_CANCELABLE_AMOUNT"
	case client.TypePaymentNotPaid:
		out.Kind, out.Code = adapters.Invalid, "NOT_CANCELABLE"
	case client.TypeInvalidRequest, client.TypeUnauthorized, client.TypeForbidden:
		out.Kind, out.Code = adapters.Invalid, "INVALID_REQUEST"
	}
	return &out
}
