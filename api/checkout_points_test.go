package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/workflows"
)

// seedPoints earns points for a customer as the earning step does: a journal and its bucket.
func (f *fixture) seedPoints(customerID string, points int64) {
	f.t.Helper()
	_, err := (&activities.Points{Pool: f.pool}).EarnPoints(context.Background(), activities.EarnPointsInput{
		CustomerID: customerID, Currency: "KRW", Base: points, RateBPS: 10_000, At: time.Now(), Validity: time.Hour,
		Key: "seed:" + customerID + ":points",
	})
	require.NoError(f.t, err)
}

// Points as a tender (ADR 0022): bad input is a 422 with a stable code that
// starts nothing and holds nothing; a valid points part starts the checkout
// with it and the answer shows it.
func TestCheckoutPointsTender(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.Currencies = []string{"KRW", "USD"} })
	ctx := context.Background()
	cus := f.customer("co-points-tender")
	method := f.cardMethod(cus)
	f.seedPoints(cus, 5_000)
	// Another checkout of the customer holds 1,000 of the 5,000.
	require.NoError(t, (&activities.Store{Pool: f.pool}).CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: "pay_" + unique("held"),
		OrderID: unique("o-held"), CustomerID: cus, MethodID: method, Currency: "KRW", Amount: 20_000, PointsAmount: 1_000,
		Items: []activities.ItemInput{{ProducerID: "farm-a", Amount: 20_000}}, WorkflowID: "w-held"}))
	var heldID string
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT id FROM payments WHERE customer_id = $1`, cus).Scan(&heldID))
	require.NoError(t, (&activities.Points{Pool: f.pool}).HoldPoints(ctx, activities.HoldPointsInput{PaymentID: heldID, CustomerID: cus, Currency: "KRW", Amount: 1_000}))

	cases := []struct {
		name     string
		currency string
		wallet   int64
		points   int64
		code     string // "" = accepted
	}{
		{name: "negative points", points: -1, code: codeInvalidAmount},
		{name: "points more than the amount", points: 15_001, code: codeInvalidAmount},
		{name: "points more than the rest of the wallet part", wallet: 14_000, points: 1_001, code: codeInvalidAmount},
		{name: "points in another currency", currency: "USD", points: 100, code: codePointsCurrencyUnsupported},
		{name: "more points than the balance", points: 5_001, code: codeInsufficientPoints},
		{name: "more points than the balance less the holds", points: 4_001, code: codeInsufficientPoints},
		{name: "all that is available", points: 4_000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			order := unique("order-points")
			currency := "KRW"
			if tc.currency != "" {
				currency = tc.currency
			}
			holdsBefore := f.count("points_holds")
			body := checkoutBody{
				OrderID: order, CustomerID: cus, Currency: currency, Amount: 15_000,
				Items:   []checkoutItem{{"farm-a", 10_000}, {"farm-b", 5_000}},
				Payment: map[string]any{"method_id": method, "wallet_amount": tc.wallet, "points_amount": tc.points},
			}
			res := f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: body.String(), idemKey: "k-" + order})
			if tc.code != "" {
				p := res.problem(http.StatusUnprocessableEntity, tc.code)
				require.Equal(t, "payment.points_amount", p["errors"].([]any)[0].(map[string]any)["field"])
				require.False(t, f.workflowExists(workflows.CheckoutID(order)), "nothing started")
				require.Equal(t, holdsBefore, f.count("points_holds"), "nothing held")
				return
			}
			require.Equal(t, http.StatusAccepted, res.Code, res.Body.String()) // no worker: processing
			t.Cleanup(func() { _ = f.tc.TerminateWorkflow(ctx, workflows.CheckoutID(order), "", "test done") })
			require.EqualValues(t, tc.points, res.json()["points_amount"], "the answer shows the points part")
			var in workflows.CheckoutInput
			require.NoError(t, f.s.startedInput(ctx, workflows.CheckoutID(order), "", &in))
			require.Equal(t, tc.points, in.PointsAmount)
		})
	}
}
