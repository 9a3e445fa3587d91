package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
)

// routeFixture is a payment by card registered at both sandbox PGs.
type routeFixture struct {
	ctx      context.Context
	sim      *providersim.AdminClient
	payments *activities.Payments
	store    *activities.Store
	in       activities.AuthorizeInput
}

func newRouteFixture(t *testing.T) *routeFixture {
	ctx := context.Background()
	srv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	t.Cleanup(srv.Close)
	hc := &http.Client{Timeout: 2 * time.Second}
	pgs := map[string]pg.Client{"alpha": pg.NewHTTPClient("alpha", srv.URL+"/pg/alpha", hc), "beta": pg.NewHTTPClient("beta", srv.URL+"/pg/beta", hc)}
	sim := providersim.NewAdminClient(srv.URL, hc)
	authKey, err := sim.Tokenize(ctx, providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	require.NoError(t, err)

	pool := testenv.Pool(t)
	q := db.New(pool)
	_, err = q.CreateCustomer(ctx, db.CreateCustomerParams{ID: "cus_1", ExternalID: "ext-1", Name: "Kim"})
	require.NoError(t, err)
	var keys []activities.BillingKeyResult
	for _, name := range []string{"alpha", "beta"} {
		bk, err := pgs[name].IssueBillingKey(ctx, pg.IssueBillingKeyRequest{CustomerKey: "cus_1", AuthKey: authKey})
		require.NoError(t, err)
		keys = append(keys, activities.BillingKeyResult{PG: name, BillingKey: bk.BillingKey, CardLast4: "1111", CardType: "credit"})
	}
	keys32, err := pii.New("route-test-pii-key-0123456789abcdef")
	require.NoError(t, err)
	require.NoError(t, (&activities.Methods{Pool: pool, Keys: keys32}).SaveMethod(ctx, activities.SaveMethodInput{MethodID: "pm_1", CustomerID: "cus_1", Kind: "card", BillingKeys: keys}))
	require.NoError(t, (&activities.Store{Pool: pool}).CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: "pay_1", OrderID: "o-1",
		CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW", Amount: 10_000, FeeBPS: 300, WorkflowID: "checkout-o-1",
		Items: []activities.ItemInput{{ProducerID: "A", Amount: 10_000}}}))
	return &routeFixture{ctx: ctx, sim: sim, payments: &activities.Payments{PGs: pgs, Queries: q, Keys: keys32}, store: &activities.Store{Pool: pool},
		in: activities.AuthorizeInput{PaymentID: "pay_1", OrderID: "o-1", MethodID: "pm_1", Amount: 10_000, Currency: "KRW"}}
}

func (f *routeFixture) authorize(pgName string) (activities.AuthorizeResult, error) {
	in := f.in
	in.PG = pgName
	return f.payments.Authorize(f.ctx, in)
}

func (f *routeFixture) outage(t *testing.T, pgName string) {
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:" + pgName, Op: "*", Mode: "outage"}))
}

func (f *routeFixture) authorizations(t *testing.T) map[string]int {
	return f.authorizationsOf(t, "o-1")
}

// authorizationsOf counts the sandbox's authorizations of an order by PG.
func (f *routeFixture) authorizationsOf(t *testing.T, order string) map[string]int {
	recs, err := f.sim.Records(f.ctx, providersim.RecordFilter{OrderID: order, Kind: "authorize"})
	require.NoError(t, err)
	out := map[string]int{}
	for _, r := range recs {
		out[r.Provider]++
	}
	return out
}

// First run: alpha authorized, the worker died before the workflow task
// completed. The retried task starts again while alpha is down: it must wait for
// alpha, not fail over to beta.
func TestAuthorizeRetryDuringOutageDoesNotFailOverAfterAnEarlierTry(t *testing.T) {
	f := newRouteFixture(t)
	first, err := f.authorize("alpha")
	require.NoError(t, err)
	require.Equal(t, "alpha", first.PG)

	f.outage(t, "alpha")
	_, err = f.authorize("alpha")
	require.Error(t, err)
	require.False(t, activities.IsType(err, activities.ErrProviderUnavailable), "not a failover signal: %v", err)

	require.NoError(t, f.sim.ClearFaults(f.ctx))
	again, err := f.authorize("alpha")
	require.NoError(t, err)
	require.Equal(t, first, again)
	require.Equal(t, map[string]int{"pg:alpha": 1}, f.authorizations(t))
}

// First run: alpha was down, the payment failed over and beta authorized; the
// worker died. The retried task starts again with alpha back: it must return
// beta's authorization, not authorize at alpha too.
func TestAuthorizeRetryFollowsTheEarlierFailover(t *testing.T) {
	f := newRouteFixture(t)
	f.outage(t, "alpha")
	_, err := f.authorize("alpha")
	require.True(t, activities.IsType(err, activities.ErrProviderUnavailable), "%v", err)
	viaBeta, err := f.authorize("beta")
	require.NoError(t, err)
	require.Equal(t, "beta", viaBeta.PG)

	require.NoError(t, f.sim.ClearFaults(f.ctx))
	again, err := f.authorize("alpha")
	require.NoError(t, err)
	require.Equal(t, viaBeta, again, "the retry is routed where the first run went")
	require.Equal(t, map[string]int{"pg:beta": 1}, f.authorizations(t))

	// And an unknown outcome is voided wherever the payment was sent.
	require.NoError(t, f.payments.VoidByKey(f.ctx, activities.VoidByKeyInput{PaymentID: "pay_1", PG: "alpha"}))
	voids, err := f.sim.Records(f.ctx, providersim.RecordFilter{Provider: "pg:beta", Kind: "cancel"})
	require.NoError(t, err)
	require.Len(t, voids, 1)
}

// A first try answered by an outage is certainly not processed: failing over
// is safe, and the PG is remembered as such.
func TestAuthorizeFirstOutageFailsOver(t *testing.T) {
	f := newRouteFixture(t)
	f.outage(t, "alpha")
	_, err := f.authorize("alpha")
	require.True(t, activities.IsType(err, activities.ErrProviderUnavailable), "%v", err)
	res, err := f.authorize("beta")
	require.NoError(t, err)
	require.Equal(t, "beta", res.PG)
	require.Equal(t, map[string]int{"pg:beta": 1}, f.authorizations(t))
}

// A worker died after its workflow task failed the payment (the hold was
// refused, say) but before the task completed; the next worker re-runs the
// task from the start, and the PG would approve this time. The failed status
// in PostgreSQL is final: the re-run is refused before any PG is called.
func TestAuthorizeRefusesAPaymentThatAlreadyFailed(t *testing.T) {
	f := newRouteFixture(t)
	require.NoError(t, f.store.FailPayment(f.ctx, activities.FailPaymentInput{PaymentID: "pay_1", Code: "insufficient_wallet_balance", Message: "no"}))
	for _, name := range []string{"alpha", "beta"} {
		_, err := f.authorize(name)
		require.True(t, activities.IsType(err, activities.ErrInvalidRequest), "%v", err)
		require.Equal(t, "payment_closed", activities.FailureOf(err, "").Code)
	}
	require.Empty(t, f.authorizations(t), "nothing was sent to any PG")
	pay, err := f.payments.Queries.GetPayment(f.ctx, "pay_1")
	require.NoError(t, err)
	require.Equal(t, "failed", pay.Status)
	require.Equal(t, "insufficient_wallet_balance", pay.FailureCode.String, "the first failure's reason stays")
}
