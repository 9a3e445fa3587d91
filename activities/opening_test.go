package activities_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
)

// openFixture opens payment pay_2 (order o-2) by the route fixture's card.
type openFixture struct {
	*routeFixture
	opening *activities.Opening
	in      activities.OpenCardPaymentInput
}

func newOpenFixture(t *testing.T) *openFixture {
	f := newRouteFixture(t)
	risk := &activities.Risk{Pool: f.store.Pool, Keys: f.payments.Keys}
	in := activities.OpenCardPaymentInput{
		Payment: activities.CreatePaymentInput{PaymentID: "pay_2", OrderID: "o-2", CustomerID: "cus_1", MethodID: "pm_1",
			Currency: "KRW", Amount: 60_000, FeeBPS: 300, WorkflowID: "checkout-o-2", Items: []activities.ItemInput{{ProducerID: "A", Amount: 60_000}}},
		Risk:        activities.EvaluateRiskInput{PaymentID: "pay_2", CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW", Amount: 60_000},
		Installment: &activities.RecordInstallmentInput{PaymentID: "pay_2", Months: 3},
		Authorize: activities.AuthorizeInput{PaymentID: "pay_2", OrderID: "o-2", CustomerID: "cus_1", MethodID: "pm_1", PG: "alpha",
			Amount: 60_000, Currency: "KRW", InstallmentMonths: 3},
	}
	return &openFixture{routeFixture: f, opening: &activities.Opening{Store: f.store, Risk: risk, Payments: f.payments}, in: in}
}

func (f *openFixture) open() (activities.OpenCardPaymentResult, error) {
	return f.opening.OpenCardPayment(f.ctx, f.in)
}

func (f *openFixture) steps(t *testing.T) []string {
	rows, err := f.store.Pool.Query(f.ctx, "SELECT step FROM payment_events WHERE payment_id = 'pay_2' ORDER BY id")
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

func (f *openFixture) attempts(t *testing.T) []db.ListPGAttemptsRow {
	a, err := f.payments.Queries.ListPGAttempts(f.ctx, "pay_2")
	require.NoError(t, err)
	return a
}

func TestOpenCardPaymentRecordsEverythingThenAuthorizesOnce(t *testing.T) {
	f := newOpenFixture(t)
	res, err := f.open()
	require.NoError(t, err)
	require.Equal(t, "alpha", res.PG)
	require.NotEmpty(t, res.PaymentKey)

	pay, err := f.payments.Queries.GetPayment(f.ctx, "pay_2")
	require.NoError(t, err)
	require.Equal(t, "processing", pay.Status)
	require.Equal(t, []string{"created", "risk_evaluated"}, f.steps(t))
	attempts := f.attempts(t)
	require.Len(t, attempts, 1)
	require.Equal(t, "alpha", attempts[0].Pg)
	require.Equal(t, "sent", attempts[0].Status)
	var months int32
	require.NoError(t, f.store.Pool.QueryRow(f.ctx, "SELECT months FROM payment_installments WHERE payment_id = 'pay_2'").Scan(&months))
	require.Equal(t, int32(3), months)

	// A retry (the worker died before the workflow task completed) finds the
	// same records and the PG's original answer: one authorization in all.
	again, err := f.open()
	require.NoError(t, err)
	require.Equal(t, res, again)
	require.Equal(t, map[string]int{"pg:alpha": 1}, f.authorizationsOf(t, "o-2"))
	require.Equal(t, []string{"created", "risk_evaluated"}, f.steps(t))
}

// The failed-payment guard is inside the opening's transaction: a re-run of a
// task that already failed the payment charges nothing.
func TestOpenCardPaymentRefusesAPaymentThatAlreadyFailed(t *testing.T) {
	f := newOpenFixture(t)
	f.in.Authorize.PG = "beta"
	f.outage(t, "beta")
	_, err := f.open()
	require.True(t, activities.IsType(err, activities.ErrProviderUnavailable), "%v", err)
	require.NoError(t, f.store.FailPayment(f.ctx, activities.FailPaymentInput{PaymentID: "pay_2", Code: "provider_unavailable", Message: "down"}))
	require.NoError(t, f.sim.ClearFaults(f.ctx))

	_, err = f.open()
	require.True(t, activities.IsType(err, activities.ErrInvalidRequest), "%v", err)
	require.Equal(t, "payment_closed", activities.FailureOf(err, "").Code)
	require.Empty(t, f.authorizationsOf(t, "o-2"), "nothing was sent to any PG")
}

// A first outage at the first PG is a failover signal (the attempt is
// remembered as not processed), exactly as Authorize's own first try.
func TestOpenCardPaymentFirstOutageFailsOver(t *testing.T) {
	f := newOpenFixture(t)
	f.outage(t, "alpha")
	_, err := f.open()
	require.True(t, activities.IsType(err, activities.ErrProviderUnavailable), "%v", err)
	in := f.in.Authorize
	in.PG = "beta"
	res, err := f.payments.Authorize(f.ctx, in)
	require.NoError(t, err)
	require.Equal(t, "beta", res.PG)
	require.Equal(t, map[string]int{"pg:beta": 1}, f.authorizationsOf(t, "o-2"))
}

func TestOpenCardPaymentBlockedByRiskClaimsNothing(t *testing.T) {
	f := newOpenFixture(t)
	_, err := db.New(f.store.Pool).CreateBlocklistEntry(f.ctx, db.CreateBlocklistEntryParams{
		ID: "bl_1", Kind: "customer", Value: "cus_1", Reason: "test", CreatedBy: "test"})
	require.NoError(t, err)

	_, err = f.open()
	require.True(t, activities.IsType(err, activities.ErrRiskBlocked), "%v", err)
	require.Equal(t, "risk_blocked", activities.FailureOf(err, "").Code)
	require.Empty(t, f.attempts(t), "no route is claimed for a refused payment")
	require.Empty(t, f.authorizationsOf(t, "o-2"))
	require.Equal(t, []string{"created", "risk_evaluated"}, f.steps(t), "the refusal is on the timeline")
}

// The task that opened and booked the payment died before it completed, and
// its re-run opens again while the PG is down: the booked authorization
// answers, the PG is not asked (an outage answer would make the checkout
// void a captured payment), and nothing more is sent or claimed.
func TestOpenCardPaymentOfAPaymentAlreadyBookedAsksNoPG(t *testing.T) {
	f := newOpenFixture(t)
	res, err := f.open()
	require.NoError(t, err)
	require.NoError(t, (&activities.Ledger{Pool: f.store.Pool}).PostCapture(f.ctx, activities.PostCaptureInput{
		PaymentID: "pay_2", PG: res.PG, PaymentKey: res.PaymentKey, Authorized: true}))
	f.outage(t, "alpha")

	again, err := f.open()
	require.NoError(t, err)
	require.Equal(t, activities.AuthorizeResult{PG: "alpha", PaymentKey: res.PaymentKey, Captured: true}, again.AuthorizeResult)
	require.Equal(t, map[string]int{"pg:alpha": 1}, f.authorizationsOf(t, "o-2"), "one authorization in all")
	require.Len(t, f.attempts(t), 1)
}
