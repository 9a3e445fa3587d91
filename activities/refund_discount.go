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
	// The discount is a share of the card part; the wallet and points parts
	// (refundTenders' three-way split) have none.
	card := pay.Amount - pay.WalletAmount - pay.PointsAmount
	cardBefore, _, _ := refundTenders(pay, 0, before)
	cardPart, _, _ := refundTenders(pay, before, amount)
	_, share := ledger.SplitDiscount(card-discount, discount, cardBefore, cardPart)
	return share, nil
}
