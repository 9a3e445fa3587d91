package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/workflows"
)

// A card checkout with installment months starts its workflow with the plan,
// the interest-free plan of finance's config that covers it (by the card's
// issuer, the card part's amount and the months), and shows the plan in the
// answer; the limits apply to the card part, not the order's amount.
func TestCheckoutInstallments(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.InterestFreePlans = []config.InterestFreePlan{{Issuer: "SHINHAN", MinAmount: 50_000, MinMonths: 2, MaxMonths: 6}}
	})
	ctx := context.Background()
	cus := f.customer("co-installments")
	method := f.cardMethod(cus) // issued by "shinhan"

	cases := []struct {
		name         string
		wallet       int64
		months       int
		wantStatus   int
		wantPlan     string // "" with wantPayer customer: the customer pays the interest
		wantPayer    string
		wantProblem  string
		wantWorkflow bool
	}{
		{name: "interest-free plan", months: 3, wantStatus: http.StatusAccepted, wantPlan: "SHINHAN:50000:2-6", wantPayer: "merchant", wantWorkflow: true},
		{name: "months beyond the plan", months: 12, wantStatus: http.StatusAccepted, wantPayer: "customer", wantWorkflow: true},
		{name: "card part under the minimum", wallet: 20_000, months: 3, wantStatus: http.StatusUnprocessableEntity, wantProblem: codeInstallmentNotAvailable},
		{name: "one payment", months: 0, wantStatus: http.StatusAccepted, wantWorkflow: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			order := unique("order-inst")
			body := checkoutBody{
				OrderID: order, CustomerID: cus, Currency: "KRW", Amount: 60_000,
				Items:   []checkoutItem{{"farm-a", 60_000}},
				Payment: map[string]any{"method_id": method, "wallet_amount": tc.wallet, "installment_months": tc.months},
			}
			res := f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: body.String(), idemKey: "k-" + order})
			if tc.wantProblem != "" {
				p := res.problem(tc.wantStatus, tc.wantProblem)
				require.Equal(t, "payment.installment_months", p["errors"].([]any)[0].(map[string]any)["field"])
				require.False(t, f.workflowExists(workflows.CheckoutID(order)), "nothing started")
				return
			}
			require.Equal(t, tc.wantStatus, res.Code, res.Body.String())
			t.Cleanup(func() { _ = f.tc.TerminateWorkflow(ctx, workflows.CheckoutID(order), "", "test done") })

			var in workflows.CheckoutInput
			require.NoError(t, f.s.startedInput(ctx, workflows.CheckoutID(order), "", &in))
			require.Equal(t, tc.months, in.InstallmentMonths)
			require.Equal(t, tc.wantPlan, in.InterestFreePlan)

			got, shown := res.json()["installment"]
			if tc.months == 0 {
				require.False(t, shown, "one payment (일시불) shows no installment")
				return
			}
			want := map[string]any{"months": float64(tc.months), "interest_payer": tc.wantPayer, "plan": nil}
			if tc.wantPlan != "" {
				want["plan"] = tc.wantPlan
			}
			require.Equal(t, want, got)
		})
	}
}
