package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// The real workflows are written elsewhere. These stand-ins honour the contract
// in package workflows (names, inputs, results, the rows they write) so the API's
// mapping of every outcome can be tested against a real Temporal server.

type stubActivities struct{ q *db.Queries }

func (a *stubActivities) WritePayment(ctx context.Context, in workflows.CheckoutInput, res workflows.CheckoutResult) error {
	fee := in.Amount * in.FeeBPS / 10_000
	if _, err := a.q.CreatePayment(ctx, db.CreatePaymentParams{
		ID: in.PaymentID, OrderID: in.OrderID, CustomerID: in.CustomerID, MethodID: text(in.MethodID),
		Currency: in.Currency, Amount: in.Amount, FeeAmount: fee, WorkflowID: workflows.CheckoutID(in.OrderID),
	}); err != nil {
		return err
	}
	for _, it := range in.Items {
		if err := a.q.CreatePaymentItem(ctx, db.CreatePaymentItemParams{PaymentID: in.PaymentID, ProducerID: it.ProducerID, Amount: it.Amount, Fee: it.Amount * in.FeeBPS / 10_000}); err != nil {
			return err
		}
	}
	if res.Status == workflows.StatusSucceeded {
		_, err := a.q.MarkPaymentSucceeded(ctx, db.MarkPaymentSucceededParams{ID: in.PaymentID, Pg: text(res.PG), PgPaymentKey: text("pk_" + in.PaymentID)})
		return err
	}
	_, err := a.q.MarkPaymentFailed(ctx, db.MarkPaymentFailedParams{ID: in.PaymentID, FailureCode: text(res.FailureCode), FailureMessage: text(res.FailureMessage)})
	return err
}

func (a *stubActivities) WriteMethod(ctx context.Context, in workflows.RegisterMethodInput) error {
	_, err := a.q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{
		ID: in.MethodID, CustomerID: in.CustomerID, Kind: in.Kind,
		CardBrand: text("bc"), CardType: text("check"), CardLast4: text("1111"),
	})
	return err
}

func (a *stubActivities) WriteRefund(ctx context.Context, in workflows.RefundInput) (int64, error) {
	p, err := a.q.GetPayment(ctx, in.PaymentID)
	if err != nil {
		return 0, err
	}
	amount := in.Amount
	if in.Kind == "cancel" {
		amount = p.CapturedAmount - p.RefundedAmount
	}
	if _, err := a.q.CreateRefund(ctx, db.CreateRefundParams{ID: in.RefundID, PaymentID: in.PaymentID, Amount: amount, Reason: in.Reason, Kind: in.Kind, RefundedBefore: p.RefundedAmount}); err != nil {
		return 0, err
	}
	if _, err := a.q.MarkRefundSucceeded(ctx, in.RefundID); err != nil {
		return 0, err
	}
	status := workflows.StatusPartiallyRefunded
	if p.RefundedAmount+amount == p.CapturedAmount {
		status = workflows.StatusRefunded
	}
	return amount, a.q.SetPaymentRefunded(ctx, db.SetPaymentRefundedParams{ID: in.PaymentID, RefundedAmount: p.RefundedAmount + amount, Status: status})
}

func stubCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
}

// stubCheckout declines orders whose id contains "decline", waits a long time on
// "slow" orders, and otherwise succeeds at PG alpha.
func stubCheckout(ctx workflow.Context, in workflows.CheckoutInput) (workflows.CheckoutResult, error) {
	res := workflows.CheckoutResult{PaymentID: in.PaymentID, Status: workflows.StatusSucceeded, PG: "alpha"}
	switch {
	case strings.Contains(in.OrderID, "decline"):
		res = workflows.CheckoutResult{PaymentID: in.PaymentID, Status: workflows.StatusFailed, FailureCode: "card_declined", FailureMessage: "declined by issuer"}
	case strings.Contains(in.OrderID, "slow"):
		if err := workflow.Sleep(ctx, 2*time.Second); err != nil {
			return res, err
		}
	}
	var a *stubActivities
	err := workflow.ExecuteActivity(stubCtx(ctx), a.WritePayment, in, res).Get(ctx, nil)
	return res, err
}

// stubRegister fails auth keys "ak_bad" and "ak_down" and registers anything else.
func stubRegister(ctx workflow.Context, in workflows.RegisterMethodInput) (workflows.RegisterMethodResult, error) {
	switch in.AuthKey {
	case "ak_bad":
		return workflows.RegisterMethodResult{MethodID: in.MethodID, Status: "failed", FailureCode: "invalid_auth_key", FailureMessage: "the auth key expired"}, nil
	case "ak_down":
		return workflows.RegisterMethodResult{MethodID: in.MethodID, Status: "failed", FailureCode: "provider_unavailable", FailureMessage: "alpha is unavailable"}, nil
	}
	var a *stubActivities
	err := workflow.ExecuteActivity(stubCtx(ctx), a.WriteMethod, in).Get(ctx, nil)
	return workflows.RegisterMethodResult{MethodID: in.MethodID, Status: "active"}, err
}

// stubRefund fails with the code named by the reason "fail:<code>" and refunds otherwise.
func stubRefund(ctx workflow.Context, in workflows.RefundInput) (workflows.RefundResult, error) {
	if code, ok := strings.CutPrefix(in.Reason, "fail:"); ok {
		return workflows.RefundResult{RefundID: in.RefundID, Status: workflows.StatusFailed, FailureCode: code, FailureMessage: "refused: " + code}, nil
	}
	var a *stubActivities
	var amount int64
	err := workflow.ExecuteActivity(stubCtx(ctx), a.WriteRefund, in).Get(ctx, &amount)
	return workflows.RefundResult{RefundID: in.RefundID, Status: workflows.StatusSucceeded, Amount: amount}, err
}

func (f *fixture) startStubWorker() {
	f.t.Helper()
	w := worker.New(f.tc, f.cfg.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(stubCheckout, workflow.RegisterOptions{Name: workflows.CheckoutName})
	w.RegisterWorkflowWithOptions(stubRegister, workflow.RegisterOptions{Name: workflows.RegisterMethodName})
	w.RegisterWorkflowWithOptions(stubRefund, workflow.RegisterOptions{Name: workflows.RefundName})
	w.RegisterActivityWithOptions(&stubActivities{q: f.q}, activity.RegisterOptions{})
	require.NoError(f.t, w.Start())
	f.t.Cleanup(w.Stop)
}

func TestCheckoutOutcomes(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.CheckoutBudget = time.Second })
	f.startStubWorker()
	cus := f.customer("outcomes")
	method := f.cardMethod(cus)
	checkout := func(f *fixture, key, order string, amount int64) response {
		b := checkoutBody{OrderID: order, CustomerID: cus, Currency: "KRW", Amount: amount,
			Items: []checkoutItem{{"farm-a", amount - 5000}, {"farm-b", 5000}}, Payment: map[string]any{"method_id": method}}
		return f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: b.String(), idemKey: key})
	}

	t.Run("succeeded", func(t *testing.T) {
		f := f.in(t)
		order := unique("order-ok")
		res := checkout(f, "ok-1", order, 15000)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		p := res.json()
		require.Equal(t, "succeeded", p["status"])
		require.Equal(t, "alpha", p["pg"])
		require.EqualValues(t, 450, p["fee_amount"])
		require.EqualValues(t, 15000, p["captured_amount"])
		require.Nil(t, p["failure"])
		require.Len(t, p["items"], 2)

		again := checkout(f, "ok-1", order, 15000)
		require.Equal(t, "true", again.Header().Get(headerIdempotentReplayed))
		require.JSONEq(t, res.Body.String(), again.Body.String())

		dup := checkout(f, "ok-2", order, 15000).problem(http.StatusConflict, codeDuplicateOrder)
		require.Contains(t, dup["detail"], p["id"])
	})

	t.Run("declined is a final answer", func(t *testing.T) {
		f := f.in(t)
		res := checkout(f, "decline-1", unique("order-decline"), 15000)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		p := res.json()
		require.Equal(t, "failed", p["status"])
		require.Equal(t, map[string]any{"code": "card_declined", "message": "declined by issuer"}, p["failure"])
		require.EqualValues(t, 0, p["captured_amount"])
		require.Equal(t, "true", checkout(f, "decline-1", p["order_id"].(string), 15000).Header().Get(headerIdempotentReplayed))
	})

	t.Run("past the budget", func(t *testing.T) {
		f := f.in(t)
		order := unique("order-slow")
		res := checkout(f, "slow-1", order, 15000)
		require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
		id := res.json()["id"].(string)
		require.Equal(t, "/v1/payments/"+id, res.Header().Get("Location"))
		require.Equal(t, "processing", res.json()["status"])

		require.Eventually(t, func() bool {
			r := f.do(request{method: http.MethodGet, path: "/v1/payments/" + id, role: roleOps})
			return r.Code == http.StatusOK && r.json()["status"] == "succeeded"
		}, 10*time.Second, 100*time.Millisecond)

		// The retry of the released request now gets the final payment.
		res = checkout(f, "slow-1", order, 15000)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		require.Equal(t, id, res.json()["id"])
		require.Equal(t, "succeeded", res.json()["status"])
	})
	require.Equal(t, 3, f.count("payments"))
}

func TestPaymentMethodOutcomes(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.CheckoutBudget = 5 * time.Second })
	f.startStubWorker()
	cus := f.customer("pm-outcomes")
	path := "/v1/customers/" + cus + "/payment-methods"
	register := func(key, authKey string) response {
		return f.do(request{method: http.MethodPost, path: path, role: roleApp, idemKey: key,
			body: fmt.Sprintf(`{"type":"card","pg_auth_key":%q}`, authKey)})
	}

	res := register("", "ak_ok")
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	m := res.json()
	require.Equal(t, "active", m["status"])
	require.Equal(t, "card", m["type"])
	require.Equal(t, map[string]any{"brand": "bc", "type": "check", "last4": "1111"}, m["card"])
	require.NotEmpty(t, m["created_at"])
	list := f.do(request{method: http.MethodGet, path: path, role: roleApp}).json()["data"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, m["id"], list[0].(map[string]any)["id"])

	register("bad-1", "ak_bad").problem(http.StatusUnprocessableEntity, "invalid_auth_key")
	replayed := register("bad-1", "ak_bad")
	replayed.problem(http.StatusUnprocessableEntity, "invalid_auth_key")
	require.Equal(t, "true", replayed.Header().Get(headerIdempotentReplayed))

	register("down-1", "ak_down").problem(http.StatusServiceUnavailable, codeProviderUnavailable)
	require.Equal(t, 1, f.count("idempotency_keys"), "the 422 is kept, the 503 released")
	require.Equal(t, 1, f.count("payment_methods"))
}

func TestRefundOutcomes(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.CheckoutBudget = 5 * time.Second })
	f.startStubWorker()
	id, _ := f.seedPayment(workflows.StatusSucceeded)
	refund := func(key, body string) response {
		return f.do(request{method: http.MethodPost, path: "/v1/payments/" + id + "/refunds", role: roleApp, body: body, idemKey: key})
	}

	res := refund("r-1", `{"amount":4000,"reason":"bruised apples"}`)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	body := res.json()
	rf := body["refund"].(map[string]any)
	require.True(t, strings.HasPrefix(rf["id"].(string), "rf_"))
	require.EqualValues(t, 4000, rf["amount"])
	require.Equal(t, "succeeded", rf["status"])
	require.Equal(t, "partial", rf["kind"])
	pay := body["payment"].(map[string]any)
	require.Equal(t, "partially_refunded", pay["status"])
	require.EqualValues(t, 4000, pay["refunded_amount"])
	require.Len(t, pay["refunds"], 1)

	again := refund("r-1", `{"amount":4000,"reason":"bruised apples"}`)
	require.Equal(t, "true", again.Header().Get(headerIdempotentReplayed))
	require.JSONEq(t, res.Body.String(), again.Body.String())

	refund("r-2", `{"amount":100,"reason":"fail:amount_exceeds_refundable"}`).problem(http.StatusUnprocessableEntity, codeRefundExceedsRemaining)
	refund("r-3", `{"amount":100,"reason":"fail:payment_not_refundable"}`).problem(http.StatusConflict, codePaymentNotRefundable)
	p := refund("r-4", `{"amount":100,"reason":"fail:pg_timeout"}`).problem(http.StatusBadGateway, codeProviderError)
	require.Contains(t, p["detail"], "pg_timeout")
	require.Equal(t, 3, f.count("idempotency_keys"), "r-1, r-2, r-3 kept; the 502 released")
	// The retry joins the refund workflow it started instead of starting another.
	before := f.workflowsOnQueue()
	refund("r-4", `{"amount":100,"reason":"fail:pg_timeout"}`).problem(http.StatusBadGateway, codeProviderError)
	require.Equal(t, before, f.workflowsOnQueue())

	res = f.do(request{method: http.MethodPost, path: "/v1/payments/" + id + "/cancel", role: roleApp, idemKey: "c-1", body: `{"reason":"order canceled"}`})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	body = res.json()
	require.EqualValues(t, 11000, body["refund"].(map[string]any)["amount"], "a cancel gives back what remains")
	require.Equal(t, "cancel", body["refund"].(map[string]any)["kind"])
	require.Equal(t, "refunded", body["payment"].(map[string]any)["status"])

	f.do(request{method: http.MethodPost, path: "/v1/payments/" + id + "/cancel", role: roleApp, idemKey: "c-2"}).
		problem(http.StatusConflict, codePaymentNotRefundable)
	require.Equal(t, 2, f.count("refunds"))
}
