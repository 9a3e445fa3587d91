package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

func TestSearchPayments(t *testing.T) {
	f := newFixture(t)
	ok, cus := f.seedPayment(workflows.StatusSucceeded)
	failed, _ := f.seedPayment(workflows.StatusFailed)
	p, err := f.q.GetPayment(context.Background(), ok)
	require.NoError(t, err)

	res := f.do(request{method: http.MethodGet, path: "/v1/payments?order_id=" + p.OrderID, role: roleOps})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	data := res.json()["data"].([]any)
	require.Len(t, data, 1)
	require.Equal(t, ok, data[0].(map[string]any)["id"])
	require.EqualValues(t, 15000, data[0].(map[string]any)["amount"])

	res = f.do(request{method: http.MethodGet, path: "/v1/payments?status=failed&customer_id=" + cus, role: roleOps})
	require.Equal(t, http.StatusOK, res.Code)
	require.Empty(t, res.json()["data"], "the customer's only payment succeeded")
	res = f.do(request{method: http.MethodGet, path: "/v1/payments?status=failed&limit=100", role: roleOps})
	ids := []string{}
	for _, d := range res.json()["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	require.Contains(t, ids, failed)
	require.NotContains(t, ids, ok)

	f.do(request{method: http.MethodGet, path: "/v1/payments?status=lost", role: roleOps}).problem(http.StatusBadRequest, codeValidationFailed)
	f.do(request{method: http.MethodGet, path: "/v1/payments?order_id=x", role: roleFinance}).problem(http.StatusForbidden, codeForbidden)
}

// The compensation-failed queue: failed payments whose undo failed (the
// checkout records the step compensation_failed), and only those.
func TestSearchPaymentsByTimelineStep(t *testing.T) {
	f := newFixture(t)
	stuck, _ := f.seedPayment(workflows.StatusFailed)
	plain, _ := f.seedPayment(workflows.StatusFailed)
	require.NoError(t, f.q.RecordPaymentEvent(context.Background(), db.RecordPaymentEventParams{
		PaymentID: stuck, Step: "compensation_failed", Detail: []byte(`{"steps":"[void]"}`)}))

	res := f.do(request{method: http.MethodGet, path: "/v1/payments?step=compensation_failed&limit=100", role: roleOps})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	ids := []string{}
	for _, d := range res.json()["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	require.Contains(t, ids, stuck)
	require.NotContains(t, ids, plain, "a failed payment whose undo succeeded needs no one")
	f.do(request{method: http.MethodGet, path: "/v1/payments?step=Drop%20table", role: roleOps}).problem(http.StatusBadRequest, codeValidationFailed)
}

// probeCheckout stands in for a checkout waiting for its PG's webhook: it ends
// with the event id of the first result signalled to it.
func probeCheckout(ctx workflow.Context) (string, error) {
	var sig workflows.PGResultSignal
	workflow.GetSignalChannel(ctx, workflows.SignalPGResult).Receive(ctx, &sig)
	return sig.EventID + ":" + sig.Status, nil
}

// An unmatched PG webhook stays unmatched (409, nothing changes) while its
// order has no payment; once the payment exists, re-delivery signals the
// payment's checkout exactly once and the inbox row reads delivered.
func TestRedeliverUnmatchedWebhook(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	order := unique("order-late")
	evID := unique("evt-pg")
	payload := fmt.Sprintf(`{"event_id":%q,"type":"payment.authorized","payment_key":"pk_late","order_id":%q,"status":"authorized"}`, evID, order)
	_, err := f.q.InsertWebhookInbox(ctx, db.InsertWebhookInboxParams{
		Provider: "alpha", EventID: evID, EventType: "payment.authorized", PaymentKey: "pk_late", Payload: []byte(payload), Status: "unmatched",
	})
	require.NoError(t, err)
	var inboxID int64
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT id FROM webhook_inbox WHERE event_id = $1", evID).Scan(&inboxID))
	path := fmt.Sprintf("/v1/webhook-inbox/%d/redeliver", inboxID)

	res := f.do(request{method: http.MethodGet, path: "/v1/webhook-inbox?status=unmatched&limit=100", role: roleOps})
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Body.String(), evID)

	f.do(request{method: http.MethodPost, path: path, role: roleOps}).problem(http.StatusConflict, codeWebhookStillUnmatched)
	f.do(request{method: http.MethodPost, path: path, role: roleApp}).problem(http.StatusForbidden, codeForbidden)
	f.do(request{method: http.MethodPost, path: path}).problem(http.StatusUnauthorized, codeUnauthorized)
	require.Equal(t, "unmatched", f.inboxStatus(inboxID))

	// The payment arrives, with its checkout waiting for the PG's result.
	cus := f.customer(unique("late"))
	_, err = f.q.CreatePayment(ctx, db.CreatePaymentParams{ID: "pay_" + unique("late"), OrderID: order, CustomerID: cus,
		MethodID: text(f.cardMethod(cus)), Currency: "KRW", Amount: 9000, WorkflowID: workflows.CheckoutID(order)})
	require.NoError(t, err)
	w := worker.New(f.tc, f.cfg.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(probeCheckout, workflow.RegisterOptions{Name: "probeCheckout"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	run, err := f.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.CheckoutID(order), TaskQueue: f.cfg.TaskQueue}, "probeCheckout")
	require.NoError(t, err)

	res = f.do(request{method: http.MethodPost, path: path, role: roleOps})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "delivered", res.json()["status"])
	require.Equal(t, "delivered", f.inboxStatus(inboxID))
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var got string
	require.NoError(t, run.Get(wctx, &got))
	require.Equal(t, evID+":authorized", got, "the checkout got the webhook's result")

	f.do(request{method: http.MethodPost, path: path, role: roleOps}).problem(http.StatusConflict, codeWebhookNotUnmatched)
	f.do(request{method: http.MethodPost, path: "/v1/webhook-inbox/999999999/redeliver", role: roleOps}).problem(http.StatusNotFound, codeWebhookNotFound)
}

func (f *fixture) inboxStatus(id int64) string {
	f.t.Helper()
	var s string
	require.NoError(f.t, f.pool.QueryRow(context.Background(), "SELECT status FROM webhook_inbox WHERE id = $1", id).Scan(&s))
	return s
}

// A delivery that gave up is re-sent through its endpoint's delivery loop
// (pending again, for the loop, its attempts kept so the next is numbered
// after them); a repeated request wakes the same run; a delivered one is 409
// and stays as it is.
func TestResendFailedDelivery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	evID := "evt_" + unique("resend")
	require.NoError(t, f.q.InsertEvent(ctx, db.InsertEventParams{ID: evID, Type: "payment.succeeded", Key: evID, SubjectID: "pay_x", Data: []byte(`{}`)}))
	failedEP, doneEP := f.endpointRow(), f.endpointRow()
	_, err := f.pool.Exec(ctx, `INSERT INTO event_deliveries (event_id, endpoint_id, status, attempts) VALUES ($1, $2, 'failed', 15), ($1, $3, 'delivered', 1)`,
		evID, failedEP, doneEP)
	require.NoError(t, err)

	res := f.do(request{method: http.MethodGet, path: "/v1/event-deliveries?status=failed&limit=100", role: roleOps})
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Body.String(), failedEP)

	path := "/v1/events/" + evID + "/deliveries/" + failedEP + "/resend"
	f.do(request{method: http.MethodPost, path: path, role: roleApp}).problem(http.StatusForbidden, codeForbidden)
	require.Equal(t, "failed", f.deliveryStatus(evID, failedEP), "a refused request changes nothing")

	res = f.do(request{method: http.MethodPost, path: path, role: roleOps})
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	wfID := workflows.EndpointDeliveryID(failedEP)
	require.Equal(t, wfID, res.json()["workflow_id"])
	require.Equal(t, "pending", f.deliveryStatus(evID, failedEP))
	var via string
	var attempts int
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT via, attempts FROM event_deliveries WHERE event_id = $1 AND endpoint_id = $2`, evID, failedEP).Scan(&via, &attempts))
	require.Equal(t, "loop", via)
	require.Equal(t, 15, attempts)
	d, err := f.tc.DescribeWorkflowExecution(ctx, wfID, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.tc.TerminateWorkflow(context.Background(), wfID, "", "test done") })
	firstRun := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()

	res = f.do(request{method: http.MethodPost, path: path, role: roleOps})
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	d, err = f.tc.DescribeWorkflowExecution(ctx, wfID, "")
	require.NoError(t, err)
	require.Equal(t, firstRun, d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), "a repeated re-send is the same run")

	f.do(request{method: http.MethodPost, path: "/v1/events/" + evID + "/deliveries/" + doneEP + "/resend", role: roleOps}).
		problem(http.StatusConflict, codeDeliveryNotFailed)
	require.Equal(t, "delivered", f.deliveryStatus(evID, doneEP))
	f.do(request{method: http.MethodPost, path: "/v1/events/" + evID + "/deliveries/we_nope/resend", role: roleOps}).
		problem(http.StatusNotFound, codeDeliveryNotFound)
}

// The backlog lists, per endpoint owed something or paused, its pending
// deliveries and the oldest one's event time; an endpoint owed nothing is
// left out.
func TestEventBacklogPerEndpoint(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owed, paused, idle := f.endpointRow(), f.endpointRow(), f.endpointRow()
	var evs []string
	for i := range 3 {
		id := "evt_" + unique("backlog")
		_, err := f.pool.Exec(ctx, `INSERT INTO events (id, type, key, subject_id, data, created_at) VALUES ($1, 'payment.succeeded', $1, 'pay_x', '{}', now() - make_interval(mins => $2))`, id, 10-i)
		require.NoError(t, err)
		evs = append(evs, id)
	}
	_, err := f.pool.Exec(ctx, `INSERT INTO event_deliveries (event_id, endpoint_id, via, status) VALUES
		($1, $4, 'loop', 'pending'), ($2, $4, 'loop', 'pending'), ($3, $4, 'loop', 'delivered'), ($3, $5, 'loop', 'pending'), ($1, $6, 'loop', 'delivered')`,
		evs[0], evs[1], evs[2], owed, paused, idle)
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `UPDATE webhook_endpoints SET paused_at = now() WHERE id = $1`, paused)
	require.NoError(t, err)

	f.do(request{method: http.MethodGet, path: "/v1/event-deliveries/backlog", role: roleApp}).problem(http.StatusForbidden, codeForbidden)
	res := f.do(request{method: http.MethodGet, path: "/v1/event-deliveries/backlog", role: roleOps})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	got := map[string]map[string]any{}
	for _, r := range res.json()["data"].([]any) {
		row := r.(map[string]any)
		got[row["endpoint_id"].(string)] = row
	}
	require.NotContains(t, got, idle, "owed nothing, not paused")
	require.EqualValues(t, 2, got[owed]["pending"])
	require.Nil(t, got[owed]["paused_at"])
	oldest, err := time.Parse(time.RFC3339Nano, got[owed]["oldest_pending_at"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(-10*time.Minute), oldest, time.Minute, "the oldest undelivered event")
	require.EqualValues(t, 1, got[paused]["pending"])
	require.NotNil(t, got[paused]["paused_at"])
	require.Equal(t, workflows.EndpointDeliveryID(paused), got[paused]["workflow_id"])
}

func (f *fixture) endpointRow() string {
	f.t.Helper()
	id := "we_" + unique("ep")
	_, err := f.q.CreateWebhookEndpoint(context.Background(), db.CreateWebhookEndpointParams{ID: id, Url: "https://app.example/hook", EventTypes: []string{}, SecretSealed: []byte("x")})
	require.NoError(f.t, err)
	return id
}

func (f *fixture) deliveryStatus(eventID, endpointID string) string {
	f.t.Helper()
	var s string
	require.NoError(f.t, f.pool.QueryRow(context.Background(), "SELECT status FROM event_deliveries WHERE event_id = $1 AND endpoint_id = $2", eventID, endpointID).Scan(&s))
	return s
}
