package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// seedPayment writes a captured payment the way the checkout workflow does.
func (f *fixture) seedPayment(status string) (paymentID, customerID string) {
	f.t.Helper()
	ctx := context.Background()
	customerID = f.customer(unique("seed"))
	method := f.cardMethod(customerID)
	order := unique("order-seed")
	paymentID = "pay_" + unique("seed")
	_, err := f.q.CreatePayment(ctx, db.CreatePaymentParams{
		ID: paymentID, OrderID: order, CustomerID: customerID, MethodID: text(method), Currency: "KRW",
		Amount: 15000, FeeAmount: 450, WorkflowID: workflows.CheckoutID(order),
	})
	require.NoError(f.t, err)
	require.NoError(f.t, f.q.CreatePaymentItem(ctx, db.CreatePaymentItemParams{PaymentID: paymentID, ProducerID: "farm-a", Amount: 10000, Fee: 300}))
	require.NoError(f.t, f.q.CreatePaymentItem(ctx, db.CreatePaymentItemParams{PaymentID: paymentID, ProducerID: "farm-b", Amount: 5000, Fee: 150}))
	require.NoError(f.t, f.q.RecordPaymentEvent(ctx, db.RecordPaymentEventParams{PaymentID: paymentID, Step: "authorized", Detail: []byte(`{"pg":"alpha"}`)}))
	switch status {
	case workflows.StatusProcessing:
	case workflows.StatusSucceeded, workflows.StatusPartiallyRefunded, workflows.StatusRefunded:
		n, err := f.q.MarkPaymentSucceeded(ctx, db.MarkPaymentSucceededParams{ID: paymentID, Pg: text("alpha"), PgPaymentKey: text("pk_1")})
		require.NoError(f.t, err)
		require.EqualValues(f.t, 1, n)
		require.NoError(f.t, f.q.RecordPaymentEvent(ctx, db.RecordPaymentEventParams{PaymentID: paymentID, Step: "captured", Detail: []byte(`{}`)}))
		if status != workflows.StatusSucceeded {
			refunded := int64(15000)
			if status == workflows.StatusPartiallyRefunded {
				refunded = 4000
			}
			_, err := f.q.CreateRefund(ctx, db.CreateRefundParams{ID: "rf_" + unique("seed"), PaymentID: paymentID, Amount: refunded, Reason: "damaged", Kind: "partial"})
			require.NoError(f.t, err)
			_, err = f.pool.Exec(ctx, "UPDATE refunds SET status = 'succeeded' WHERE payment_id = $1", paymentID)
			require.NoError(f.t, err)
			require.NoError(f.t, f.q.SetPaymentRefunded(ctx, db.SetPaymentRefundedParams{ID: paymentID, RefundedAmount: refunded, Status: status}))
		}
	case workflows.StatusFailed:
		_, err := f.q.MarkPaymentFailed(ctx, db.MarkPaymentFailedParams{ID: paymentID, FailureCode: text("card_declined"), FailureMessage: text("declined by issuer")})
		require.NoError(f.t, err)
	default:
		f.t.Fatalf("seedPayment: status %s", status)
	}
	return paymentID, customerID
}

func TestGetPayment(t *testing.T) {
	f := newFixture(t)
	id, cus := f.seedPayment(workflows.StatusPartiallyRefunded)

	for _, role := range []string{roleApp, roleOps} {
		res := f.do(request{method: http.MethodGet, path: "/v1/payments/" + id, role: role})
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		p := res.json()
		require.Equal(t, id, p["id"])
		require.Equal(t, cus, p["customer_id"])
		require.Equal(t, "partially_refunded", p["status"])
		require.EqualValues(t, 15000, p["amount"])
		require.Equal(t, "KRW", p["currency"])
		require.EqualValues(t, 450, p["fee_amount"])
		require.EqualValues(t, 15000, p["captured_amount"])
		require.EqualValues(t, 4000, p["refunded_amount"])
		require.Equal(t, "alpha", p["pg"])
		require.Nil(t, p["failure"])
		require.Equal(t, []any{
			map[string]any{"producer_id": "farm-a", "amount": 10000.0, "fee": 300.0, "tax_free_amount": 0.0},
			map[string]any{"producer_id": "farm-b", "amount": 5000.0, "fee": 150.0, "tax_free_amount": 0.0},
		}, p["items"])
		require.Equal(t, map[string]any{"tax_free_amount": 0.0, "supply_amount": 13637.0, "vat_amount": 1363.0}, p["tax"], "15,000 all taxable: VAT floor(15,000/11)")
		refunds := p["refunds"].([]any)
		require.Len(t, refunds, 1)
		rf := refunds[0].(map[string]any)
		require.EqualValues(t, 4000, rf["amount"])
		require.Equal(t, "succeeded", rf["status"])
		require.Equal(t, "partial", rf["kind"])
		require.Equal(t, "damaged", rf["reason"])
		timeline := p["timeline"].([]any)
		require.Len(t, timeline, 2)
		require.Equal(t, "authorized", timeline[0].(map[string]any)["step"])
		require.Equal(t, map[string]any{"pg": "alpha"}, timeline[0].(map[string]any)["detail"])
		require.NotEmpty(t, timeline[0].(map[string]any)["at"])
		require.Equal(t, "captured", timeline[1].(map[string]any)["step"])
		wf := p["workflow"].(map[string]any)
		require.Equal(t, "checkout-"+p["order_id"].(string), wf["id"])
		require.Equal(t, "http://localhost:8233/namespaces/default/workflows/"+wf["id"].(string), wf["ui_url"])
	}

	failed, _ := f.seedPayment(workflows.StatusFailed)
	p := f.do(request{method: http.MethodGet, path: "/v1/payments/" + failed, role: roleApp}).json()
	require.Equal(t, "failed", p["status"])
	require.Equal(t, map[string]any{"code": "card_declined", "message": "declined by issuer"}, p["failure"])
	require.Nil(t, p["pg"])
	require.Equal(t, []any{}, p["refunds"])
}

func TestGetPaymentNotFound(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"pay_nothing", "pay_%E2%9C%93", "x"} {
		p := f.do(request{method: http.MethodGet, path: "/v1/payments/" + id, role: roleApp}).problem(http.StatusNotFound, codePaymentNotFound)
		require.NotEmpty(t, p["detail"])
	}
	f.do(request{method: http.MethodGet, path: "/v1/nothing-here", role: roleApp}).problem(http.StatusNotFound, codeNotFound)
	f.do(request{method: http.MethodPut, path: "/v1/payments/pay_x", role: roleApp}).problem(http.StatusMethodNotAllowed, codeMethodNotAllowed)
}

func TestRefundBadInput(t *testing.T) {
	f := newFixture(t)
	succeeded, _ := f.seedPayment(workflows.StatusSucceeded)
	partly, _ := f.seedPayment(workflows.StatusPartiallyRefunded)
	processing, _ := f.seedPayment(workflows.StatusProcessing)
	failed, _ := f.seedPayment(workflows.StatusFailed)
	refunded, _ := f.seedPayment(workflows.StatusRefunded)
	refundsBefore := f.count("refunds")

	cases := []struct {
		name, path, body string
		noKey            bool
		status           int
		code, field      string
	}{
		{"unknown payment", "/v1/payments/pay_nothing/refunds", `{"amount":1000}`, false, 404, codePaymentNotFound, ""},
		{"cancel unknown payment", "/v1/payments/pay_nothing/cancel", ``, false, 404, codePaymentNotFound, ""},
		{"zero amount", "/v1/payments/" + succeeded + "/refunds", `{"amount":0}`, false, 422, codeInvalidAmount, "amount"},
		{"no amount", "/v1/payments/" + succeeded + "/refunds", `{"reason":"x"}`, false, 422, codeInvalidAmount, "amount"},
		{"negative amount", "/v1/payments/" + succeeded + "/refunds", `{"amount":-1}`, false, 422, codeInvalidAmount, "amount"},
		{"huge amount", "/v1/payments/" + succeeded + "/refunds", `{"amount":9223372036854775807}`, false, 422, codeInvalidAmount, "amount"},
		{"more than captured", "/v1/payments/" + succeeded + "/refunds", `{"amount":15001}`, false, 422, codeRefundExceedsRemaining, "amount"},
		{"more than remains", "/v1/payments/" + partly + "/refunds", `{"amount":11001}`, false, 422, codeRefundExceedsRemaining, "amount"},
		{"malformed json", "/v1/payments/" + succeeded + "/refunds", `{"amount":`, false, 400, codeMalformedJSON, ""},
		{"unknown field", "/v1/payments/" + succeeded + "/refunds", `{"amount":100,"currency":"KRW"}`, false, 400, codeUnknownField, "currency"},
		{"empty refund body", "/v1/payments/" + succeeded + "/refunds", ``, false, 400, codeMalformedJSON, ""},
		{"cancel unknown field", "/v1/payments/" + succeeded + "/cancel", `{"amount":100}`, false, 400, codeUnknownField, "amount"},
		{"reason too long", "/v1/payments/" + succeeded + "/cancel", `{"reason":"` + strings.Repeat("r", 501) + `"}`, false, 422, codeValidationFailed, "reason"},
		{"refund processing payment", "/v1/payments/" + processing + "/refunds", `{"amount":100}`, false, 409, codePaymentNotRefundable, ""},
		{"refund failed payment", "/v1/payments/" + failed + "/refunds", `{"amount":100}`, false, 409, codePaymentNotRefundable, ""},
		{"cancel failed payment", "/v1/payments/" + failed + "/cancel", ``, false, 409, codePaymentNotRefundable, ""},
		{"cancel refunded payment", "/v1/payments/" + refunded + "/cancel", `{}`, false, 409, codePaymentNotRefundable, ""},
		{"refund without key", "/v1/payments/" + succeeded + "/refunds", `{"amount":100}`, true, 400, codeIdempotencyKeyRequired, ""},
		{"cancel without key", "/v1/payments/" + succeeded + "/cancel", ``, true, 400, codeIdempotencyKeyRequired, ""},
		{"unknown item", "/v1/payments/" + succeeded + "/refunds", `{"items":[{"producer_id":"farm-z"}]}`, false, 422, codeRefundItemNotFound, "items"},
		{"more than the item", "/v1/payments/" + succeeded + "/refunds", `{"items":[{"producer_id":"farm-b","amount":5001}]}`, false, 422, codeRefundExceedsItemLeft, "items"},
		{"more than is left of the item", "/v1/payments/" + partly + "/refunds", `{"items":[{"producer_id":"farm-b","amount":3668}]}`, false, 422, codeRefundExceedsItemLeft, "items"},
		{"amount is not the items' sum", "/v1/payments/" + succeeded + "/refunds", `{"amount":100,"items":[{"producer_id":"farm-b","amount":50}]}`, false, 422, codeItemsSumMismatch, "amount"},
		{"item named twice", "/v1/payments/" + succeeded + "/refunds", `{"items":[{"producer_id":"farm-a"},{"producer_id":"farm-a"}]}`, false, 422, codeValidationFailed, "items[1].producer_id"},
		{"negative item amount", "/v1/payments/" + succeeded + "/refunds", `{"items":[{"producer_id":"farm-a","amount":-1}]}`, false, 422, codeInvalidAmount, "items[0].amount"},
		{"item without producer", "/v1/payments/" + succeeded + "/refunds", `{"items":[{"amount":10}]}`, false, 422, codeValidationFailed, "items[0].producer_id"},
		{"unknown item field", "/v1/payments/" + succeeded + "/refunds", `{"items":[{"producer_id":"farm-a","tax_free":1}]}`, false, 400, codeUnknownField, ""},
		{"items of a failed payment", "/v1/payments/" + failed + "/refunds", `{"items":[{"producer_id":"farm-a"}]}`, false, 409, codePaymentNotRefundable, ""},
		{"oversized body", "/v1/payments/" + succeeded + "/refunds", `{"amount":100,"reason":"` + strings.Repeat("r", 5000) + `"}`, false, 413, codeBodyTooLarge, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			r := request{method: http.MethodPost, path: tc.path, role: roleApp, body: tc.body}
			if !tc.noKey {
				r.idemKey = "rf-" + string(rune('a'+i))
			}
			if tc.body == "" {
				r.headers = map[string]string{"Content-Type": "application/json"}
			}
			p := f.do(r).problem(tc.status, tc.code)
			if tc.field != "" {
				require.Equal(t, tc.field, p["errors"].([]any)[0].(map[string]any)["field"])
			}
		})
	}
	require.Equal(t, refundsBefore, f.count("refunds"))
	require.Zero(t, f.count("idempotency_keys"))
	require.Zero(t, f.workflowsOnQueue())
	p := f.do(request{method: http.MethodGet, path: "/v1/payments/" + succeeded, role: roleApp}).json()
	require.EqualValues(t, 0, p["refunded_amount"])
	require.Equal(t, "succeeded", p["status"])
}
