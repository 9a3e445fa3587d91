package activities

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// refundDiscountShare is the instant discount's share of the refund slice
// [before, before+amount) of a payment (issue 15; 0 when it had none): the
// slice's card part splits between what the card was charged and what the
// platform's discount paid, in proportion (ledger.SplitDiscount, exact over
// any slices). That share is reversed on the discount account, not sent
// through the PG.
func refundDiscountShare(ctx context.Context, q *db.Queries, pay db.Payment, before, amount int64) (int64, error) {
	discount, err := q.PaymentDiscount(ctx, pay.ID)
	if err != nil {
		return 0, fmt.Errorf("discount of %s: %w", pay.ID, err)
	}
	if discount == 0 {
		return 0, nil
	}
	card, wallet := pay.Amount-pay.WalletAmount, pay.WalletAmount
	cardBefore, _ := ledger.SplitRefund(card, wallet, 0, before)
	cardPart, _ := ledger.SplitRefund(card, wallet, before, amount)
	_, share := ledger.SplitDiscount(card-discount, discount, cardBefore, cardPart)
	return share, nil
}
