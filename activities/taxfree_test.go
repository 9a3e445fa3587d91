package activities_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/testenv"
)

// A 10,000 all tax-free (vegetables) and B 5,000 with 2,000 tax-free, paid by
// card. A is confirmed, then 6,000 is refunded (A's 4,000 after confirmation,
// B's 2,000 before), then B is confirmed. The refund's tax-free part goes to
// the PG; the settlement entries carry each line's tax-free part.
func TestTaxFreePartsOfRefundsAndSettlementLines(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	q := db.New(pool)
	_, err := q.CreateCustomer(ctx, db.CreateCustomerParams{ID: "cus_1", ExternalID: "ext-1", Name: "Kim"})
	require.NoError(t, err)
	keys, err := pii.New(strings.Repeat("s", 32))
	require.NoError(t, err)
	require.NoError(t, (&activities.Methods{Pool: pool, Keys: keys}).SaveMethod(ctx, activities.SaveMethodInput{MethodID: "pm_1", CustomerID: "cus_1", Kind: "card",
		BillingKeys: []activities.BillingKeyResult{{PG: "alpha", BillingKey: "bk_1", CardLast4: "1111", CardType: "credit"}}}))
	require.NoError(t, (&activities.Store{Pool: pool}).CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: "pay_1", OrderID: "o-1",
		CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW", Amount: 15_000, FeeBPS: 300, WorkflowID: "checkout-o-1",
		Items: []activities.ItemInput{{ProducerID: "A", Amount: 10_000, TaxFreeAmount: 10_000}, {ProducerID: "B", Amount: 5_000, TaxFreeAmount: 2_000}}}))
	require.NoError(t, (&activities.Ledger{Pool: pool}).PostCapture(ctx, activities.PostCaptureInput{PaymentID: "pay_1", PG: "alpha", PaymentKey: "pk_1"}))

	confirm(t, pool, "A")
	claim, err := (&activities.Refunds{Pool: pool}).ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 6_000, Kind: "partial"})
	require.NoError(t, err)
	require.Equal(t, int64(4_800), claim.TaxFreeAmount, "6,000 of 15,000: 2/5 of the 12,000 tax-free")
	require.Equal(t, int64(4_800), claim.PGTaxFreeAmount, "card only: the PG's part is all of it")
	again, err := (&activities.Refunds{Pool: pool}).ReserveRefund(ctx, activities.ReserveRefundInput{RefundID: "rf_1", PaymentID: "pay_1", Amount: 6_000, Kind: "partial"})
	require.NoError(t, err)
	require.Equal(t, claim, again, "a retried claim answers the same tax-free parts")
	require.NoError(t, (&activities.Ledger{Pool: pool}).PostRefund(ctx, activities.PostRefundInput{RefundID: "rf_1"}))
	confirm(t, pool, "B")

	type line struct {
		Producer, Kind string
		Gross, TaxFree int64
	}
	rows, err := pool.Query(ctx, `SELECT producer_id, kind, gross, tax_free FROM settlement_entries ORDER BY id`)
	require.NoError(t, err)
	var got []line
	for rows.Next() {
		var l line
		require.NoError(t, rows.Scan(&l.Producer, &l.Kind, &l.Gross, &l.TaxFree))
		got = append(got, l)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []line{
		{"A", "sale", 10_000, 10_000},
		{"A", "refund", -4_000, -4_000},
		// B's 2,000 refunded before confirmation took floor(2,000 x 2/5) = 800 tax-free.
		{"B", "sale", 3_000, 1_200},
	}, got)
}
