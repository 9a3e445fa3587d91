package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
)

// An installment checkout records its plan before the card is charged and
// asks the PG for the months, interest-free when finance's plan applied; the
// plan travels with a failover to the secondary PG.
func TestCheckoutWithInstallments(t *testing.T) {
	env := newEnv(t)
	in := checkoutInput()
	in.Amount, in.Items = 60_000, []CheckoutItem{{ProducerID: "A", Amount: 60_000}}
	in.InstallmentMonths, in.InterestFreePlan = 3, "shinhan:50000:2-6"

	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(store.RecordInstallment, mock.Anything, activities.RecordInstallmentInput{
		PaymentID: "pay_1", Months: 3, Plan: "shinhan:50000:2-6",
	}).Return(nil).Once()
	env.OnActivity(payments.Authorize, mock.Anything, activities.AuthorizeInput{
		PaymentID: "pay_1", OrderID: "o-1", CustomerID: "cus_1", MethodID: "pm_1", PG: "alpha", Amount: 60_000, Currency: "KRW",
		InstallmentMonths: 3, InterestFree: true,
	}).Return(activities.AuthorizeResult{}, unavailable()).Once()
	env.OnActivity(payments.Authorize, mock.Anything, activities.AuthorizeInput{
		PaymentID: "pay_1", OrderID: "o-1", CustomerID: "cus_1", MethodID: "pm_1", PG: "beta", Amount: 60_000, Currency: "KRW",
		InstallmentMonths: 3, InterestFree: true,
	}).Return(activities.AuthorizeResult{PG: "beta", PaymentKey: "pk_b", Captured: true}, nil).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Maybe() // a one-call PG books it with the capture
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	require.Equal(t, "beta", res.PG)
}

// A single payment (일시불) writes no installment row: the command sequence of
// every checkout recorded before installments existed stays the same.
func TestCheckoutWithoutInstallmentsRecordsNoPlan(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payments.Authorize, mock.Anything, mock.MatchedBy(func(in activities.AuthorizeInput) bool {
		return in.InstallmentMonths == 0 && !in.InterestFree
	})).Return(activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, nil).Once()
	env.OnActivity(store.MarkAuthorized, mock.Anything, mock.Anything).Return(nil).Maybe() // a one-call PG books it with the capture
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()

	res := runCheckout(t, env, checkoutInput())

	require.Equal(t, StatusSucceeded, res.Status)
	env.AssertNotCalled(t, "RecordInstallment", mock.Anything, mock.Anything)
}

func TestCheckoutRefusesBadInstallments(t *testing.T) {
	for name, change := range map[string]func(*CheckoutInput){
		"13 months":           func(in *CheckoutInput) { in.InstallmentMonths = 13 },
		"1 month":             func(in *CheckoutInput) { in.InstallmentMonths = 1 },
		"wallet only":         func(in *CheckoutInput) { in.InstallmentMonths, in.WalletAmount = 3, in.Amount },
		"plan without months": func(in *CheckoutInput) { in.InterestFreePlan = "shinhan:50000:2-6" },
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			in := checkoutInput()
			change(&in)
			res := runCheckout(t, env, in)
			require.Equal(t, StatusFailed, res.Status)
			require.Equal(t, "invalid_request", res.FailureCode)
			env.AssertNotCalled(t, "CreatePayment", mock.Anything, mock.Anything)
		})
	}
}
