package toss

import (
	"errors"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/toss/client"
)

// paysagaCodes translates Toss's codes to the codes paysaga's API reports
// (activities lower-case them: card_declined, insufficient_funds). A code not
// listed passes through as Toss sent it.
var paysagaCodes = map[string]string{
	client.CodeRejectCardCompany:   "CARD_DECLINED",
	client.CodeInvalidStoppedCard:  "CARD_DECLINED",
	client.CodeRejectCardPayment:   "INSUFFICIENT_FUNDS",
	client.CodeNotFoundPayment:     "PAYMENT_NOT_FOUND",
	client.CodeNotCancelableAmount: "NOT_CANCELABLE_AMOUNT",
}

// translate rewrites a classified Toss failure into paysaga's vocabulary; the
// Toss code stays in ProviderCode for ops. PROVIDER_ERROR (a card company's
// temporary failure, a 400 at Toss) is retryable, not a bad request.
func translate(err error) error {
	var e *adapters.Error
	if !errors.As(err, &e) || e.Code == "" {
		return err
	}
	out := *e
	out.ProviderCode = e.Code
	if code, ok := paysagaCodes[e.Code]; ok {
		out.Code = code
	}
	if e.Code == client.CodeProviderError {
		out.Kind = adapters.Transient
	}
	return &out
}
