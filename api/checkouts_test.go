package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

type checkoutBody struct {
	OrderID    string         `json:"order_id"`
	CustomerID string         `json:"customer_id"`
	Currency   string         `json:"currency"`
	Amount     int64          `json:"amount"`
	Items      []checkoutItem `json:"items"`
	Payment    map[string]any `json:"payment"`
}

type checkoutItem struct {
	ProducerID string `json:"producer_id"`
	Amount     int64  `json:"amount"`
}

func (b checkoutBody) String() string {
	out, err := json.Marshal(b)
	if err != nil {
		panic(err)
	}
	return string(out)
}

// taxFree is b's JSON with tax_free_amount n on its last item (5,000 won).
func taxFree(b checkoutBody, n int64) string {
	return strings.Replace(b.String(), `"amount":5000}`, fmt.Sprintf(`"amount":5000,"tax_free_amount":%d}`, n), 1)
}

func TestCheckoutBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cus := f.customer("co-bad")
	other := f.customer("co-bad-other")
	method := f.cardMethod(cus)
	foreign := f.cardMethod(other)
	deleted := f.cardMethod(cus)
	account := f.bankMethod(cus)
	n, err := f.q.DeletePaymentMethod(ctx, db.DeletePaymentMethodParams{ID: deleted, CustomerID: cus})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	sfx := unique("")
	o := func(order string) string { return order + sfx }
	valid := func(order string) checkoutBody {
		return checkoutBody{
			OrderID: order, CustomerID: cus, Currency: "KRW", Amount: 15000,
			Items:   []checkoutItem{{"farm-a", 10000}, {"farm-b", 5000}},
			Payment: map[string]any{"method_id": method},
		}
	}
	with := func(order string, change func(*checkoutBody)) string {
		b := valid(order)
		change(&b)
		return b.String()
	}
	many := make([]checkoutItem, 101)
	for i := range many {
		many[i] = checkoutItem{fmt.Sprintf("farm-%d", i), 1}
	}

	cases := []struct {
		name    string
		order   string // the order the body names, whose workflow must not exist
		body    string
		noKey   bool
		headers map[string]string
		status  int
		code    string
		field   string
	}{
		{name: "malformed json", order: o("o-malformed"), body: `{"order_id":"o-malformed",`, status: 400, code: codeMalformedJSON},
		{name: "unknown field", order: o("o-unknown-field"), body: strings.Replace(valid(o("o-unknown-field")).String(), `"currency"`, `"coupon":"X","currency"`, 1), status: 400, code: codeUnknownField, field: "coupon"},
		{name: "unknown payment field", order: o("o-unknown-pay"), body: with(o("o-unknown-pay"), func(b *checkoutBody) { b.Payment["card_number"] = "4242424242424242" }), status: 400, code: codeUnknownField, field: "card_number"},
		{name: "amount as string", order: o("o-amount-string"), body: strings.Replace(valid(o("o-amount-string")).String(), `"amount":15000`, `"amount":"15000"`, 1), status: 400, code: codeInvalidFieldType, field: "amount"},
		{name: "fractional amount", order: o("o-fraction"), body: strings.Replace(valid(o("o-fraction")).String(), `"amount":15000`, `"amount":150.5`, 1), status: 400, code: codeInvalidFieldType, field: "amount"},
		{name: "amount beyond int64", order: o("o-beyond"), body: strings.Replace(valid(o("o-beyond")).String(), `"amount":15000`, `"amount":99999999999999999999`, 1), status: 400, code: codeInvalidFieldType, field: "amount"},
		{name: "zero amount", order: o("o-zero"), body: with(o("o-zero"), func(b *checkoutBody) { b.Amount = 0; b.Items = []checkoutItem{{"farm-a", 0}} }), status: 422, code: codeInvalidAmount, field: "amount"},
		{name: "negative amount", order: o("o-negative"), body: with(o("o-negative"), func(b *checkoutBody) { b.Amount = -15000; b.Items = []checkoutItem{{"farm-a", -15000}} }), status: 422, code: codeInvalidAmount, field: "amount"},
		{name: "amount above maximum", order: o("o-huge"), body: with(o("o-huge"), func(b *checkoutBody) { b.Amount = 10_000_001; b.Items = []checkoutItem{{"farm-a", 10_000_001}} }), status: 422, code: codeInvalidAmount, field: "amount"},
		{name: "max int64 amount", order: o("o-maxint"), body: with(o("o-maxint"), func(b *checkoutBody) { b.Amount = math.MaxInt64; b.Items = []checkoutItem{{"farm-a", math.MaxInt64}} }), status: 422, code: codeInvalidAmount, field: "amount"},
		{name: "negative item", order: o("o-neg-item"), body: with(o("o-neg-item"), func(b *checkoutBody) { b.Items = []checkoutItem{{"farm-a", 20000}, {"farm-b", -5000}} }), status: 422, code: codeInvalidAmount, field: "items[1].amount"},
		{name: "items do not add up", order: o("o-sum"), body: with(o("o-sum"), func(b *checkoutBody) { b.Items = []checkoutItem{{"farm-a", 10000}, {"farm-b", 4999}} }), status: 422, code: codeItemsSumMismatch, field: "items"},
		{
			// Summed in int64 without a check these wrap around to exactly 15000.
			name: "overflowing item sum", order: o("o-overflow"),
			body: with(o("o-overflow"), func(b *checkoutBody) {
				b.Items = []checkoutItem{{"farm-a", 1 << 62}, {"farm-b", 1 << 62}, {"farm-c", 1 << 62}, {"farm-d", 1<<62 + 15000}}
			}),
			status: 422, code: codeItemsSumMismatch, field: "items",
		},
		{name: "unknown currency", order: o("o-usd"), body: with(o("o-usd"), func(b *checkoutBody) { b.Currency = "USD" }), status: 422, code: codeUnsupportedCurrency, field: "currency"},
		{name: "lower-case currency", order: o("o-krw"), body: with(o("o-krw"), func(b *checkoutBody) { b.Currency = "krw" }), status: 422, code: codeUnsupportedCurrency, field: "currency"},
		{name: "missing currency", order: o("o-nocur"), body: with(o("o-nocur"), func(b *checkoutBody) { b.Currency = "" }), status: 422, code: codeValidationFailed, field: "currency"},
		{name: "bad order id", order: o("o bad"), body: with(o("o bad"), func(*checkoutBody) {}), status: 422, code: codeValidationFailed, field: "order_id"},
		{name: "long order id", order: strings.Repeat("o", 65), body: with(strings.Repeat("o", 65), func(*checkoutBody) {}), status: 422, code: codeValidationFailed, field: "order_id"},
		{name: "no items", order: o("o-noitems"), body: with(o("o-noitems"), func(b *checkoutBody) { b.Items = nil }), status: 422, code: codeValidationFailed, field: "items"},
		{name: "101 items", order: o("o-101"), body: with(o("o-101"), func(b *checkoutBody) { b.Amount = 101; b.Items = many }), status: 422, code: codeValidationFailed, field: "items"},
		{name: "duplicate producer", order: o("o-dup"), body: with(o("o-dup"), func(b *checkoutBody) { b.Items = []checkoutItem{{"farm-a", 10000}, {"farm-a", 5000}} }), status: 422, code: codeValidationFailed, field: "items[1].producer_id"},
		{name: "bad producer id", order: o("o-producer"), body: with(o("o-producer"), func(b *checkoutBody) { b.Items = []checkoutItem{{"farm/a", 15000}} }), status: 422, code: codeValidationFailed, field: "items[0].producer_id"},
		{name: "negative tax-free", order: o("o-tf-neg"), body: taxFree(valid(o("o-tf-neg")), -1), status: 422, code: codeInvalidAmount, field: "items[1].tax_free_amount"},
		{name: "tax-free above the item", order: o("o-tf-big"), body: taxFree(valid(o("o-tf-big")), 5001), status: 422, code: codeInvalidAmount, field: "items[1].tax_free_amount"},
		{name: "no payment", order: o("o-nopay"), body: with(o("o-nopay"), func(b *checkoutBody) { b.Payment = nil }), status: 422, code: codeValidationFailed, field: "payment"},
		{name: "unknown customer", order: o("o-nocus"), body: with(o("o-nocus"), func(b *checkoutBody) { b.CustomerID = "cus_nobody" }), status: 404, code: codeCustomerNotFound},
		{name: "unknown method", order: o("o-nomethod"), body: with(o("o-nomethod"), func(b *checkoutBody) { b.Payment["method_id"] = "pm_nothing" }), status: 422, code: codeUnknownPaymentMethod, field: "payment.method_id"},
		{name: "foreign method", order: o("o-foreign"), body: with(o("o-foreign"), func(b *checkoutBody) { b.Payment["method_id"] = foreign }), status: 422, code: codeUnknownPaymentMethod, field: "payment.method_id"},
		{name: "deleted method", order: o("o-deleted"), body: with(o("o-deleted"), func(b *checkoutBody) { b.Payment["method_id"] = deleted }), status: 422, code: codeUnknownPaymentMethod, field: "payment.method_id"},
		{name: "installment months 13", order: o("o-inst-13"), body: with(o("o-inst-13"), func(b *checkoutBody) { b.Payment["installment_months"] = 13 }), status: 422, code: codeInvalidInstallmentMonths, field: "payment.installment_months"},
		{name: "installment months 1", order: o("o-inst-1"), body: with(o("o-inst-1"), func(b *checkoutBody) { b.Payment["installment_months"] = 1 }), status: 422, code: codeInvalidInstallmentMonths, field: "payment.installment_months"},
		{name: "negative installment months", order: o("o-inst-neg"), body: with(o("o-inst-neg"), func(b *checkoutBody) { b.Payment["installment_months"] = -3 }), status: 422, code: codeInvalidInstallmentMonths, field: "payment.installment_months"},
		{name: "installment months as string", order: o("o-inst-str"), body: with(o("o-inst-str"), func(b *checkoutBody) { b.Payment["installment_months"] = "3" }), status: 400, code: codeInvalidFieldType, field: "payment.installment_months"},
		// 15,000 won: Korean issuers split 50,000 or more only.
		{name: "installments under the minimum", order: o("o-inst-small"), body: with(o("o-inst-small"), func(b *checkoutBody) { b.Payment["installment_months"] = 3 }), status: 422, code: codeInstallmentNotAvailable, field: "payment.installment_months"},
		{name: "installments of a wallet-only payment", order: o("o-inst-wallet"), body: with(o("o-inst-wallet"), func(b *checkoutBody) {
			b.Payment = map[string]any{"wallet_amount": 15000, "installment_months": 3}
		}), status: 422, code: codeInstallmentNotAvailable, field: "payment.installment_months"},
		{name: "installments on a bank account", order: o("o-inst-bank"), body: with(o("o-inst-bank"), func(b *checkoutBody) {
			b.Amount, b.Items = 60000, []checkoutItem{{"farm-a", 60000}}
			b.Payment = map[string]any{"method_id": account, "installment_months": 3}
		}), status: 422, code: codeInstallmentNotAvailable, field: "payment.installment_months"},
		{name: "oversized body", order: o("o-big"), body: with(o("o-big"), func(b *checkoutBody) { b.Payment["pad"] = strings.Repeat("x", 5000) }), status: 413, code: codeBodyTooLarge},
		{name: "missing idempotency key", order: o("o-nokey"), body: valid(o("o-nokey")).String(), noKey: true, status: 400, code: codeIdempotencyKeyRequired},
		{name: "idempotency key with spaces", order: o("o-badkey"), body: valid(o("o-badkey")).String(), headers: map[string]string{headerIdempotencyKey: "a key"}, status: 400, code: codeIdempotencyKeyInvalid},
		{name: "text body", order: o("o-text"), body: valid(o("o-text")).String(), headers: map[string]string{"Content-Type": "text/plain"}, status: 415, code: codeUnsupportedMediaType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			r := request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: tc.body, headers: tc.headers}
			if !tc.noKey && tc.headers[headerIdempotencyKey] == "" {
				r.idemKey = "key-" + strings.ReplaceAll(tc.name, " ", "-")
			}
			p := f.do(r).problem(tc.status, tc.code)
			if tc.field != "" {
				require.Equal(t, tc.field, p["errors"].([]any)[0].(map[string]any)["field"], "%v", p)
			}
			require.False(t, f.workflowExists(workflows.CheckoutID(tc.order)), "no workflow for %s", tc.order)
		})
	}

	// A body over the limit that does not declare its length is cut off while read.
	t.Run("oversized chunked body", func(t *testing.T) {
		f := f.in(t)
		body := with(o("o-chunked"), func(b *checkoutBody) { b.Payment["pad"] = strings.Repeat("x", 5000) })
		req := newRequest(f, http.MethodPost, "/v1/checkouts", roleApp, strings.NewReader(body))
		req.ContentLength = -1
		req.Header.Set(headerIdempotencyKey, "key-chunked")
		serve(f, req).problem(http.StatusRequestEntityTooLarge, codeBodyTooLarge)
		require.False(t, f.workflowExists(workflows.CheckoutID(o("o-chunked"))))
	})

	require.Zero(t, f.count("payments"))
	require.Zero(t, f.count("idempotency_keys"))
	require.Zero(t, f.workflowsOnQueue())
}

// Without a worker no checkout can finish: the API answers 202 once the budget
// runs out; the workflow exists under the order's business key; a retry with
// the same key joins it; another request for the same order is refused.
func TestCheckoutWithoutWorker(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cus := f.customer("co-pending")
	method := f.cardMethod(cus)
	order := unique("order")
	body := checkoutBody{
		OrderID: order, CustomerID: cus, Currency: "KRW", Amount: 15000,
		Items:   []checkoutItem{{"farm-a", 10000}, {"farm-b", 5000}},
		Payment: map[string]any{"method_id": method},
	}
	post := func(key string, b checkoutBody) response {
		return f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: b.String(), idemKey: key})
	}

	res := post("k-1", body)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	pay := res.json()
	id := pay["id"].(string)
	require.True(t, strings.HasPrefix(id, "pay_"))
	require.Equal(t, "/v1/payments/"+id, res.Header().Get("Location"))
	require.Equal(t, "processing", pay["status"])
	require.Equal(t, order, pay["order_id"])
	require.EqualValues(t, 15000, pay["amount"])
	require.Equal(t, "KRW", pay["currency"])
	require.Nil(t, pay["failure"])
	require.Equal(t, map[string]any{
		"id":     "checkout-" + order,
		"ui_url": "http://localhost:8233/namespaces/default/workflows/checkout-" + order,
	}, pay["workflow"])
	require.Zero(t, f.count("idempotency_keys"), "a 202 releases the key")

	// The workflow runs with the contract's options and input.
	desc, err := f.tc.DescribeWorkflowExecution(ctx, workflows.CheckoutID(order), "")
	require.NoError(t, err)
	info := desc.GetWorkflowExecutionInfo()
	require.Equal(t, workflows.CheckoutName, info.GetType().GetName())
	require.Equal(t, f.cfg.TaskQueue, info.GetTaskQueue())
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, info.GetStatus())
	require.Contains(t, info.GetSearchAttributes().GetIndexedFields(), "OrderId")
	require.Contains(t, info.GetSearchAttributes().GetIndexedFields(), "AmountKRW")
	var in workflows.CheckoutInput
	require.NoError(t, f.s.startedInput(ctx, workflows.CheckoutID(order), "", &in))
	require.Equal(t, workflows.CheckoutInput{
		PaymentID: id, OrderID: order, CustomerID: cus, MethodID: method, MethodKind: workflows.MethodCard, Currency: "KRW", Amount: 15000,
		Items:  []workflows.CheckoutItem{{ProducerID: "farm-a", Amount: 10000}, {ProducerID: "farm-b", Amount: 5000}},
		FeeBPS: 300, PGs: []string{"alpha", "beta"}, AsyncAuthTimeout: f.cfg.AsyncAuthTimeout,
		IP:       "192.0.2.1", // httptest's peer address: the velocity rules' IP
		Benefits: true, PointsValidity: f.cfg.PointsValidity, PointsAtConfirmation: true,
	}, in)

	// The same request again joins the same workflow and payment.
	res = post("k-1", body)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	require.Equal(t, id, res.json()["id"])

	// Another request for the same order is refused while it runs.
	other := body
	other.Amount, other.Items = 20000, []checkoutItem{{"farm-a", 20000}}
	p := post("k-2", other).problem(http.StatusConflict, codeOrderInProgress)
	require.Contains(t, p["detail"], id)
	require.EqualValues(t, 1, f.workflowsOnQueue())

	// Once the order's workflow is closed, a new request for it is a duplicate.
	require.NoError(t, f.tc.TerminateWorkflow(ctx, workflows.CheckoutID(order), "", "test"))
	post("k-3", other).problem(http.StatusConflict, codeDuplicateOrder)

	// With the payment the workflow wrote, the duplicate names it, and the
	// original request (a retry after its 202) gets that payment back.
	_, err = f.q.CreatePayment(ctx, db.CreatePaymentParams{
		ID: id, OrderID: order, CustomerID: cus, MethodID: text(method), Currency: "KRW", Amount: 15000,
		FeeAmount: 450, WorkflowID: workflows.CheckoutID(order),
	})
	require.NoError(t, err)
	require.NoError(t, f.q.CreatePaymentItem(ctx, db.CreatePaymentItemParams{PaymentID: id, ProducerID: "farm-a", Amount: 10000, Fee: 300}))
	require.NoError(t, f.q.CreatePaymentItem(ctx, db.CreatePaymentItemParams{PaymentID: id, ProducerID: "farm-b", Amount: 5000, Fee: 150}))
	n, err := f.q.MarkPaymentFailed(ctx, db.MarkPaymentFailedParams{ID: id, FailureCode: text("card_declined"), FailureMessage: text("declined by issuer")})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	p = post("k-4", other).problem(http.StatusConflict, codeDuplicateOrder)
	require.Contains(t, p["detail"], id)

	res = post("k-1", body)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	pay = res.json()
	require.Equal(t, id, pay["id"])
	require.Equal(t, "failed", pay["status"])
	require.Equal(t, map[string]any{"code": "card_declined", "message": "declined by issuer"}, pay["failure"])
	require.EqualValues(t, 450, pay["fee_amount"])

	// That final answer was saved: the same key now replays it without a lookup.
	res = post("k-1", body)
	require.Equal(t, http.StatusCreated, res.Code)
	require.Equal(t, "true", res.Header().Get(headerIdempotentReplayed))
	require.Equal(t, id, res.json()["id"])
	require.EqualValues(t, 1, f.workflowsOnQueue())
}

func TestCheckoutLogsWorkflow(t *testing.T) {
	f := newFixture(t)
	cus := f.customer("co-log")
	method := f.cardMethod(cus)
	order := unique("order-log")
	body := checkoutBody{
		OrderID: order, CustomerID: cus, Currency: "KRW", Amount: 1000,
		Items: []checkoutItem{{"farm-a", 1000}}, Payment: map[string]any{"method_id": method},
	}
	res := f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, body: body.String(), idemKey: "log-1",
		headers: map[string]string{headerRequestID: "req-abc-123"}})
	require.Equal(t, http.StatusAccepted, res.Code)
	require.Equal(t, "req-abc-123", res.Header().Get(headerRequestID))

	var line map[string]any
	for _, l := range f.logs.Lines(t) {
		if l["message"] == "request" && l["path"] == "/v1/checkouts" {
			line = l
		}
	}
	require.NotNil(t, line, f.logs.String())
	require.Equal(t, "req-abc-123", line["request_id"])
	require.Equal(t, "POST", line["method"])
	require.EqualValues(t, 202, line["status"])
	require.Equal(t, f.keyIDs[roleApp], line["api_key_id"])
	require.Equal(t, roleApp, line["role"])
	require.Equal(t, "checkout-"+order, line["workflow_id"])
	require.Equal(t, res.json()["id"], line["payment_id"])
	require.Greater(t, line["latency_ms"].(float64), 0.0)
	require.NotContains(t, f.logs.String(), method, "request bodies are not logged")
}
