package client_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/toss/client"
)

// The documented requests, written from Toss's API reference independently of
// the client's types: every field Toss documents for the call, and no other.
// Decoding with DisallowUnknownFields makes a test fail when the client sends
// a field Toss does not document.
type docIssueBillingKey struct {
	AuthKey     string `json:"authKey"`
	CustomerKey string `json:"customerKey"`
}

type docBillingCharge struct {
	CustomerKey         string `json:"customerKey"`
	Amount              int64  `json:"amount"`
	OrderID             string `json:"orderId"`
	OrderName           string `json:"orderName"`
	CustomerEmail       string `json:"customerEmail"`
	CustomerName        string `json:"customerName"`
	CustomerMobilePhone string `json:"customerMobilePhone"`
	TaxFreeAmount       int64  `json:"taxFreeAmount"`
	TaxExemptionAmount  int64  `json:"taxExemptionAmount"`
	CardInstallmentPlan int    `json:"cardInstallmentPlan"`
}

type docCancel struct {
	CancelReason         string         `json:"cancelReason"`
	CancelAmount         int64          `json:"cancelAmount"`
	RefundReceiveAccount map[string]any `json:"refundReceiveAccount"`
	TaxFreeAmount        int64          `json:"taxFreeAmount"`
	Currency             string         `json:"currency"`
}

const secret = "test_sk_contract"

// exchange is one documented call: what the client must send, what Toss answers.
type exchange struct {
	method, path string
	query        map[string]string
	idempotent   bool // an Idempotency-Key header is required
	doc          any  // a pointer to the documented request type; nil for no body
	required     []string
	status       int
	answer       string
}

func serve(t *testing.T, ex exchange) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(ex.status)
			_, _ = io.WriteString(w, ex.answer)
		}()
		require.Equal(t, ex.method, r.Method)
		require.Equal(t, ex.path, r.URL.EscapedPath())
		for k, v := range ex.query {
			require.Equal(t, v, r.URL.Query().Get(k), "query %s", k)
		}
		require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(secret+":")), r.Header.Get("Authorization"))
		if ex.idempotent {
			require.NotEmpty(t, r.Header.Get("Idempotency-Key"), "money-moving POSTs carry an Idempotency-Key")
			require.LessOrEqual(t, len(r.Header.Get("Idempotency-Key")), 300)
		} else {
			require.Empty(t, r.Header.Get("Idempotency-Key"))
		}
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		if ex.doc == nil {
			require.Empty(t, body)
			return
		}
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(ex.doc), "the client sent a field Toss does not document: %s", body)
		var present map[string]any
		require.NoError(t, json.Unmarshal(body, &present))
		for _, f := range ex.required {
			require.Contains(t, present, f, "required field %s", f)
		}
	}))
	t.Cleanup(srv.Close)
	return client.New("pg:alpha", srv.URL, secret, srv.Client())
}

// A Payment object as Toss's reference shows one for a billing approval.
const donePayment = `{
  "mId": "tosspayments", "version": "2022-11-16", "lastTransactionKey": "9C62B18EEF0DE3EB7F4422EB6D14BC6E",
  "paymentKey": "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1", "orderId": "pay_0190f4c6-3b2a-7f00-9c1d-000000000001",
  "orderName": "order o-1", "status": "DONE", "type": "BILLING", "method": "카드", "currency": "KRW",
  "totalAmount": 15000, "balanceAmount": 15000, "suppliedAmount": 13636, "vat": 1364, "taxFreeAmount": 0,
  "requestedAt": "2026-12-01T10:00:00+09:00", "approvedAt": "2026-12-01T10:00:01+09:00",
  "card": {"issuerCode": "61", "acquirerCode": "31", "number": "43301234****123*", "cardType": "신용", "ownerType": "개인", "approveNo": "00000000", "amount": 15000},
  "cancels": null
}`

func TestIssueBillingKeyContract(t *testing.T) {
	c := serve(t, exchange{method: "POST", path: "/v1/billing/authorizations/issue", doc: &docIssueBillingKey{},
		required: []string{"authKey", "customerKey"}, status: 200,
		answer: `{"mId":"tosspayments","customerKey":"cus_1","authenticatedAt":"2026-12-01T10:00:00+09:00","method":"카드",
		"billingKey":"Z_t5vOvQxrj4499PeiJcjen28-V2RyqgYTwN44Rdzk0=","cardCompany":"현대","cardNumber":"43301234****123*",
		"card":{"issuerCode":"61","acquirerCode":"31","number":"43301234****123*","cardType":"체크","ownerType":"개인"}}`})
	b, err := c.IssueBillingKey(context.Background(), client.IssueBillingKeyRequest{AuthKey: "ak_1", CustomerKey: "cus_1"})
	require.NoError(t, err)
	require.Equal(t, "Z_t5vOvQxrj4499PeiJcjen28-V2RyqgYTwN44Rdzk0=", b.BillingKey)
	require.Equal(t, "체크", b.Card.CardType)
}

func TestBillingChargeContract(t *testing.T) {
	sent := &docBillingCharge{}
	c := serve(t, exchange{method: "POST", path: "/v1/billing/Z_t5vOvQxrj4499PeiJcjen28-V2RyqgYTwN44Rdzk0=", idempotent: true,
		doc: sent, required: []string{"customerKey", "amount", "orderId", "orderName"}, status: 200, answer: donePayment})
	p, err := c.ChargeBillingKey(context.Background(), "Z_t5vOvQxrj4499PeiJcjen28-V2RyqgYTwN44Rdzk0=", "payment:p1:authorize",
		client.BillingChargeRequest{CustomerKey: "cus_1", Amount: 15000, OrderID: "pay_1", OrderName: "order o-1", TaxFreeAmount: 6000})
	require.NoError(t, err)
	require.EqualValues(t, 6000, sent.TaxFreeAmount, "the tax-free part travels as taxFreeAmount")
	require.Equal(t, client.StatusDone, p.Status)
	require.EqualValues(t, 15000, p.BalanceAmount)
}

func TestCancelContract(t *testing.T) {
	for name, req := range map[string]client.CancelRequest{
		"whole":   {CancelReason: "checkout failed"},
		"partial": {CancelReason: "refund", CancelAmount: 4000, TaxFreeAmount: 1600},
	} {
		t.Run(name, func(t *testing.T) {
			sent := &docCancel{}
			t.Cleanup(func() { require.Equal(t, req.TaxFreeAmount, sent.TaxFreeAmount, "taxFreeAmount of the cancel") })
			c := serve(t, exchange{method: "POST", path: "/v1/payments/pk_1/cancel", idempotent: true, doc: sent,
				required: []string{"cancelReason"}, status: 200,
				answer: strings.Replace(strings.Replace(donePayment, `"status": "DONE"`, `"status": "PARTIAL_CANCELED"`, 1),
					`"cancels": null`, `"cancels": [{"transactionKey":"tk_2","cancelAmount":4000,"cancelReason":"refund","canceledAt":"2026-12-01T11:00:00+09:00","cancelStatus":"DONE","taxFreeAmount":0}]`, 1)})
			p, err := c.Cancel(context.Background(), "pk_1", "refund:r1", req)
			require.NoError(t, err)
			require.Equal(t, client.StatusPartialCanceled, p.Status)
			require.EqualValues(t, 4000, p.Cancels[0].CancelAmount)
		})
	}
}

func TestLookupsContract(t *testing.T) {
	c := serve(t, exchange{method: "GET", path: "/v1/payments/pk_1", status: 200, answer: donePayment})
	_, err := c.GetPayment(context.Background(), "pk_1")
	require.NoError(t, err)

	c = serve(t, exchange{method: "GET", path: "/v1/payments/orders/pay_1", status: 404,
		answer: `{"code":"NOT_FOUND_PAYMENT","message":"존재하지 않는 결제 정보 입니다."}`})
	_, err = c.GetPaymentByOrderID(context.Background(), "pay_1")
	require.True(t, adapters.Is(err, adapters.NotFound), "%v", err)
}

func TestSettlementsContract(t *testing.T) {
	c := serve(t, exchange{method: "GET", path: "/v1/settlements", query: map[string]string{"startDate": "2026-12-01", "endDate": "2026-12-01", "page": "1", "size": "100"},
		status: 200, answer: `[{"mId":"tosspayments","paymentKey":"pk_1","transactionKey":"tk_1","orderId":"pay_1","currency":"KRW","method":"카드",
		"amount":15000,"interestFee":0,"fee":375,"supplyAmount":341,"vat":34,"payOutAmount":14625,"approvedAt":"2026-12-01T10:00:01+09:00",
		"soldDate":"2026-12-01","paidOutDate":"2026-12-03"}]`})
	lines, err := c.Settlements(context.Background(), "2026-12-01", "2026-12-01", 1, 100)
	require.NoError(t, err)
	require.Len(t, lines, 1)
	require.EqualValues(t, 375, lines[0].Fee)
}

// Toss's documented error answers, and what paysaga may do next.
func TestErrorShapesAreClassified(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		kind   adapters.Kind
	}{
		{403, "REJECT_CARD_COMPANY", adapters.Declined},
		{403, "REJECT_CARD_PAYMENT", adapters.Declined},
		{400, "INVALID_REQUEST", adapters.Invalid},
		{401, "UNAUTHORIZED_KEY", adapters.Invalid},
		{400, "ALREADY_PROCESSED_PAYMENT", adapters.Invalid},
		{500, "FAILED_INTERNAL_SYSTEM_PROCESSING", adapters.Transient},
		{503, "PROVIDER_UNAVAILABLE", adapters.Unavailable},
	} {
		c := serve(t, exchange{method: "POST", path: "/v1/billing/bk", idempotent: true, doc: &docBillingCharge{}, status: tc.status,
			answer: `{"code":"` + tc.code + `","message":"..."}`})
		_, err := c.ChargeBillingKey(context.Background(), "bk", "k", client.BillingChargeRequest{CustomerKey: "c", Amount: 1, OrderID: "pay_1", OrderName: "o"})
		require.Equal(t, tc.kind, adapters.KindOf(err), tc.code)
	}
}

// Cash receipts, as the cash-receipt API documents them.
type docCashReceipt struct {
	Amount                 int64  `json:"amount"`
	OrderID                string `json:"orderId"`
	OrderName              string `json:"orderName"`
	CustomerIdentityNumber string `json:"customerIdentityNumber"`
	Type                   string `json:"type"`
	TaxFreeAmount          int64  `json:"taxFreeAmount"`
}

type docCashReceiptCancel struct {
	Amount int64 `json:"amount"`
}

const issuedReceipt = `{"receiptKey":"rk_1","orderId":"pay_1","type":"소득공제","issueNumber":"","receiptUrl":"https://example.test/r/rk_1",
  "amount":30000,"taxFreeAmount":12000,"issueStatus":"IN_PROGRESS"}`

func TestCashReceiptContract(t *testing.T) {
	sent := &docCashReceipt{}
	c := serve(t, exchange{method: "POST", path: "/v1/cash-receipts", idempotent: true, doc: sent,
		required: []string{"amount", "orderId", "orderName", "customerIdentityNumber", "type"}, status: 200, answer: issuedReceipt})
	r, err := c.IssueCashReceipt(context.Background(), "receipt:pay_1:issue", client.CashReceiptRequest{Amount: 30000, OrderID: "pay_1",
		OrderName: "order o-1", CustomerIdentityNumber: "01012345678", Type: client.ReceiptTypeIncomeDeduction, TaxFreeAmount: 12000})
	require.NoError(t, err)
	require.Equal(t, docCashReceipt{Amount: 30000, OrderID: "pay_1", OrderName: "order o-1", CustomerIdentityNumber: "01012345678",
		Type: "소득공제", TaxFreeAmount: 12000}, *sent)
	require.Equal(t, client.ReceiptInProgress, r.IssueStatus)
	require.Equal(t, "rk_1", r.ReceiptKey)

	cancel := &docCashReceiptCancel{}
	c = serve(t, exchange{method: "POST", path: "/v1/cash-receipts/rk_1/cancel", idempotent: true, doc: cancel, status: 200,
		answer: strings.Replace(issuedReceipt, `"amount":30000`, `"amount":20000`, 1)})
	r, err = c.CancelCashReceipt(context.Background(), "rk_1", "receipt:pay_1:cancel:rf_1", client.CashReceiptCancelRequest{Amount: 10000})
	require.NoError(t, err)
	require.EqualValues(t, 10000, cancel.Amount)
	require.EqualValues(t, 20000, r.Amount)

	c = serve(t, exchange{method: "GET", path: "/v1/cash-receipts", query: map[string]string{"requestDate": "2026-12-01", "limit": "100"},
		status: 200, answer: "[" + strings.Replace(issuedReceipt, "IN_PROGRESS", "COMPLETED", 1) + "]"})
	list, err := c.CashReceipts(context.Background(), "2026-12-01", "", 100)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, client.ReceiptCompleted, list[0].IssueStatus)
}
