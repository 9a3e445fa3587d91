package workflows

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss"
	"github.com/paysaga/paysaga/providersim"
)

// tossRefund is a Refund workflow whose Cancel is the real activity, calling a
// sandbox Toss PG (alpha) through the Toss connector; the database steps are
// mocked and counted. paid is a captured 26,000 payment at alpha.
type tossRefund struct {
	env      testEnv
	ctx      context.Context
	sim      *providersim.AdminClient
	alpha    *toss.Connector
	paid     pg.Payment
	released int
	booked   int
}

func newTossRefund(t *testing.T, wrap func(pg.Client) pg.Client) *tossRefund {
	ctx := context.Background()
	srv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	t.Cleanup(srv.Close)
	hc := &http.Client{Timeout: 2 * time.Second}
	alpha, err := toss.New(toss.Config{Name: "alpha", BaseURL: srv.URL + "/toss/alpha", SecretKey: "test_sk_sandbox"}, hc)
	require.NoError(t, err)
	sim := providersim.NewAdminClient(srv.URL, hc)
	authKey, err := sim.Tokenize(ctx, providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	require.NoError(t, err)
	bk, err := alpha.IssueBillingKey(ctx, pg.IssueBillingKeyRequest{CustomerKey: "cus_1", AuthKey: authKey})
	require.NoError(t, err)
	paid, err := alpha.Authorize(ctx, pg.AuthorizeRequest{IdempotencyKey: activities.AuthorizeKey("pay_000001"), BillingKey: bk.BillingKey,
		CustomerKey: "cus_1", OrderID: "o-1", Amount: 26_000, Currency: "KRW"})
	require.NoError(t, err)

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	f := &tossRefund{env: env, ctx: ctx, sim: sim, alpha: alpha, paid: paid}
	var client pg.Client = alpha
	if wrap != nil {
		client = wrap(alpha)
	}
	env.RegisterActivity(&activities.Payments{PGs: map[string]pg.Client{"alpha": client}})
	env.RegisterActivity(&activities.Refunds{})
	env.RegisterActivity(&activities.Ledger{})
	var refunds *activities.Refunds
	env.OnActivity(refunds.ReleaseRefund, mock.Anything, mock.Anything).Run(func(mock.Arguments) { f.released++ }).Return(nil).Maybe()
	env.OnActivity(book.PostRefund, mock.Anything, mock.Anything).Run(func(mock.Arguments) { f.booked++ }).Return(nil).Maybe()
	env.OnActivity(points.ReversePoints, mock.Anything, mock.Anything).Return(activities.ReversePointsResult{}, nil).Maybe()
	return f
}

// claim mocks ReserveRefund: amount of the payment is claimed for the refund.
func (f *tossRefund) claim(amount int64) {
	var refunds *activities.Refunds
	f.env.OnActivity(refunds.ReserveRefund, mock.Anything, mock.Anything).
		Return(activities.ReserveRefundResult{Amount: amount, PG: "alpha", PaymentKey: f.paid.PaymentKey}, nil).Once()
}

func (f *tossRefund) cancelled(t *testing.T) (n int, amount int64) {
	recs, err := f.sim.Records(f.ctx, providersim.RecordFilter{Kind: providersim.KindCancel, PaymentKey: f.paid.PaymentKey})
	require.NoError(t, err)
	for _, r := range recs {
		n, amount = n+1, amount+r.Amount
	}
	return n, amount
}

// The chaos case (prod lane, seed 2): the PG commits the refund, the answer is
// lost, and the forward retries all fail without an answer (here alpha goes
// down for 25 requests). Releasing it would leave money back on the card and
// nothing booked (pg_captures_match_ledger): the cancel is settled by re-sending
// it under the same key until the PG answers, then booked.
func TestRefundWhoseCancelCommittedUnansweredIsSettledNotReleased(t *testing.T) {
	f := newTossRefund(t, nil)
	f.claim(8_666)
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: providersim.ModeOutage, Count: 25}))

	f.env.ExecuteWorkflow(Refund, RefundInput{RefundID: "rf_1", PaymentID: "pay_000001", Amount: 8_666, Kind: "partial"})

	require.True(t, f.env.IsWorkflowCompleted())
	require.NoError(t, f.env.GetWorkflowError())
	var res RefundResult
	require.NoError(t, f.env.GetWorkflowResult(&res))
	require.Equal(t, StatusSucceeded, res.Status)
	n, amount := f.cancelled(t)
	require.Equal(t, 1, n, "the first attempt committed at the PG, once")
	require.EqualValues(t, 8_666, amount)
	require.Zero(t, f.released, "a refund the PG made must never be released")
	require.Equal(t, 1, f.booked)
}

// When the PG stays silent past every bounded retry, the claim is kept and the
// workflow fails for ops: never released.
func TestRefundWhoseOutcomeStaysUnknownFailsVisibly(t *testing.T) {
	f := newTossRefund(t, nil)
	f.claim(8_666)
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: providersim.ModeOutage})) // no end

	f.env.ExecuteWorkflow(Refund, RefundInput{RefundID: "rf_1", PaymentID: "pay_000001", Amount: 8_666, Kind: "partial"})

	require.True(t, f.env.IsWorkflowCompleted())
	require.ErrorContains(t, f.env.GetWorkflowError(), "outcome at alpha unknown, claim kept")
	n, _ := f.cancelled(t)
	require.Equal(t, 1, n)
	require.Zero(t, f.released, "a refund the PG may have made must never be released")
	require.Zero(t, f.booked)
}

// forgetfulPG re-sends every cancel after the first under a fresh key, as a PG
// that did not keep the first request's key would see it: the retry of a
// committed cancel is refused as "already cancelled".
type forgetfulPG struct {
	pg.Client
	calls int
}

func (p *forgetfulPG) Cancel(ctx context.Context, req pg.CancelRequest) (pg.Payment, error) {
	p.calls++
	if p.calls > 1 {
		req.IdempotencyKey += ":resent"
	}
	return p.Client.Cancel(ctx, req)
}

// The retry after a lost answer is refused because this cancel already took the
// whole balance: the look-up at the PG finds the money given back, so the
// refund is booked, not released.
func TestRefundRetryRefusedAsAlreadyCancelledIsResolvedByLookup(t *testing.T) {
	f := newTossRefund(t, func(c pg.Client) pg.Client { return &forgetfulPG{Client: c} })
	_, err := f.alpha.Cancel(f.ctx, pg.CancelRequest{IdempotencyKey: "refund:rf_0", PaymentKey: f.paid.PaymentKey, Amount: 17_334, Reason: "earlier"})
	require.NoError(t, err)
	f.claim(8_666) // the rest
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))

	f.env.ExecuteWorkflow(Refund, RefundInput{RefundID: "rf_1", PaymentID: "pay_000001", Kind: "cancel"})

	require.True(t, f.env.IsWorkflowCompleted())
	require.NoError(t, f.env.GetWorkflowError())
	var res RefundResult
	require.NoError(t, f.env.GetWorkflowResult(&res))
	require.Equal(t, StatusSucceeded, res.Status)
	n, amount := f.cancelled(t)
	require.Equal(t, 2, n)
	require.EqualValues(t, 26_000, amount, "the payment is cancelled whole, once")
	require.Equal(t, 1, f.booked)
	require.Zero(t, f.released)
}

// The forward retries end unanswered (alpha down), and the first re-send of the
// settling phase is refused as already cancelled: that refusal is checked at
// the PG too, so the refund is booked, not released.
func TestRefundSettledAfterOutageIsResolvedByLookup(t *testing.T) {
	f := newTossRefund(t, func(c pg.Client) pg.Client { return &forgetfulPG{Client: c} })
	f.claim(26_000)
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	require.NoError(t, f.sim.SetFault(f.ctx, providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: providersim.ModeOutage, Count: 5})) // the forward retries

	f.env.ExecuteWorkflow(Refund, RefundInput{RefundID: "rf_1", PaymentID: "pay_000001", Kind: "cancel"})

	require.True(t, f.env.IsWorkflowCompleted())
	require.NoError(t, f.env.GetWorkflowError())
	var res RefundResult
	require.NoError(t, f.env.GetWorkflowResult(&res))
	require.Equal(t, StatusSucceeded, res.Status)
	n, amount := f.cancelled(t)
	require.Equal(t, 1, n)
	require.EqualValues(t, 26_000, amount)
	require.Equal(t, 1, f.booked)
	require.Zero(t, f.released)
}
