package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
)

// A refund of a payment an instant discount paid part of gives back through
// the PG only the card's share of the claim (i15-discount-refund); the
// discount's share is the posting's to reverse. A slice that is all discount
// calls no PG.
func TestRefundOfDiscountedPaymentCancelsOnlyTheCardsShare(t *testing.T) {
	var refunds *activities.Refunds
	res := runRefund(t, RefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 10_000, Kind: "partial"}, func(env testEnv) {
		env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).
			Return(activities.ReserveRefundResult{Amount: 10_000, WalletAmount: 2_000, DiscountAmount: 800, PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
		env.OnActivity(payments.Cancel, mock.Anything, activities.CancelInput{Key: "refund:rf_1", PG: "alpha", PaymentKey: "pk_1", Amount: 7_200}).Return(nil).Once()
		env.OnActivity(book.PostRefund, mock.Anything, activities.PostRefundInput{RefundID: "rf_1"}).Return(nil).Once()
	})
	require.Equal(t, StatusSucceeded, res.Status)

	res = runRefund(t, RefundInput{RefundID: "rf_2", PaymentID: "pay_1", Amount: 1, Kind: "partial"}, func(env testEnv) {
		env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).
			Return(activities.ReserveRefundResult{Amount: 1, DiscountAmount: 1, PG: "alpha", PaymentKey: "pk_1"}, nil).Once()
		env.OnActivity(book.PostRefund, mock.Anything, activities.PostRefundInput{RefundID: "rf_2"}).Return(nil).Once()
	})
	require.Equal(t, StatusSucceeded, res.Status)
}
