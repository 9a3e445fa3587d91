package verify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/verify"
)

// pointsTender adds to the consistent world a payment of 20,000 paid 3,000
// points + 17,000 card, booked and half refunded by the activities the
// checkout and refund workflows run (hold, posting, claim, refund posting).
func (w *world) pointsTender() {
	w.t.Helper()
	w.earnPoints("pay2", 3_000)
	card := int64(17_000)
	pk := w.authorize("order-pay4", "payment:pay4:authorize", card)
	w.capture(pk, "payment:pay4:capture", card)
	w.exec(`INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, points_amount, status, workflow_id)
		VALUES ('pay4', 'order-pay4', 'c1', 'm1', 'KRW', 20000, 3000, 'processing', 'checkout-order-pay4')`)
	w.exec(`INSERT INTO payment_items (payment_id, producer_id, amount, fee) VALUES ('pay4', 'farm-a', 20000, 600)`)
	points := &activities.Points{Pool: w.pool}
	require.NoError(w.t, points.HoldPoints(w.ctx, activities.HoldPointsInput{PaymentID: "pay4", CustomerID: "c1", Currency: "KRW", Amount: 3_000}))
	book := &activities.Ledger{Pool: w.pool}
	require.NoError(w.t, book.PostCapture(w.ctx, activities.PostCaptureInput{PaymentID: "pay4", PG: "alpha", PaymentKey: pk}))
	claim, err := (&activities.Refunds{Pool: w.pool}).ReserveRefund(w.ctx, activities.ReserveRefundInput{RefundID: "rf4", PaymentID: "pay4", Amount: 10_000, Kind: "partial"})
	require.NoError(w.t, err)
	require.EqualValues(w.t, 1_500, claim.PointsAmount)
	_, err = w.alpha.Cancel(w.ctx, pg.CancelRequest{IdempotencyKey: "refund:rf4", PaymentKey: pk, Amount: claim.Amount - claim.PointsAmount, Reason: "test"})
	require.NoError(w.t, err)
	require.NoError(w.t, book.PostRefund(w.ctx, activities.PostRefundInput{RefundID: "rf4"}))
}

func TestPointsTenderHistoryPasses(t *testing.T) {
	w := newWorld(t)
	w.consistent()
	w.pointsTender()
	rep := w.run()
	require.True(t, rep.OK(), "%s", rep)
	require.Equal(t, 1, rep.Get(verify.PointsTenderBooked).Checked)
	require.Equal(t, 1, rep.Get(verify.PointsReconcile).Checked, "points:clearing is no customer's")
}

// Each planted breach of points as a tender is caught, and only by its invariants.
func TestPointsTenderBreachesAreCaught(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(w *world)
		want  []string
	}{{
		name: "a hold beyond the balance",
		plant: func(w *world) {
			w.exec(`INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, points_amount, status, workflow_id)
				VALUES ('pay5', 'order-pay5', 'c1', 'm1', 'KRW', 90000, 90000, 'failed', 'checkout-order-pay5')`)
			w.exec(`INSERT INTO points_holds (payment_id, customer_id, currency, amount, status) VALUES ('pay5', 'c1', 'KRW', 90000, 'active')`)
		},
		want: []string{verify.PointsHoldsWithinBalance},
	}, {
		name: "a spend that took less from the buckets than it booked",
		plant: func(w *world) {
			w.exec(`UPDATE points_spends SET amount = amount - 1 WHERE payment_id = 'pay4' AND seq = 0`)
			w.exec(`UPDATE points_buckets SET remaining = remaining + 1 WHERE id = (SELECT bucket_id FROM points_spends WHERE payment_id = 'pay4' AND seq = 0)`)
		},
		want: []string{verify.PointsTenderBooked, verify.PointsReconcile},
	}, {
		name: "points returned to a bucket without their journal",
		plant: func(w *world) {
			w.exec(`UPDATE points_returns SET amount = amount + 5 WHERE refund_id = 'rf4'`)
			w.exec(`UPDATE points_buckets SET remaining = remaining + 5 WHERE id = (SELECT bucket_id FROM points_returns WHERE refund_id = 'rf4' LIMIT 1)`)
		},
		want: []string{verify.PointsTenderBooked, verify.PointsReconcile},
	}, {
		name: "points returned twice by the ledger",
		plant: func(w *world) {
			j := ledger.RefundPointsJournal("rf4-again", "pay4", "c1", "KRW", 1_500)
			w.post(j)
		},
		want: []string{verify.PointsTenderBooked, verify.PointsReconcile},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.consistent()
			w.pointsTender()
			tc.plant(w)
			rep := w.run()
			for _, res := range rep.Results {
				want := false
				for _, n := range tc.want {
					want = want || n == res.Name
				}
				if want {
					require.NotEmpty(t, res.Breaches, "%s should be breached:\n%s", res.Name, rep)
				} else {
					require.Empty(t, res.Breaches, "%s should hold:\n%s", res.Name, rep)
				}
			}
		})
	}
}
