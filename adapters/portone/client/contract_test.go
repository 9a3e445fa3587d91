package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// The documented requests, written from PortOne's OpenAPI document (V2)
// independently of the client's types: the fields each body schema lists, and
// no other. DisallowUnknownFields makes a test fail when the client sends a
// field PortOne does not document.
type docConfirmBillingKeyBody struct {
	StoreID           string `json:"storeId"`
	BillingIssueToken string `json:"billingIssueToken"`
	IsTest            bool   `json:"isTest"`
	SkipWebhook       bool   `json:"skipWebhook"`
}

type docBillingKeyPaymentInput struct {
	StoreID                     string          `json:"storeId"`
	BillingKey                  string          `json:"billingKey"`
	ChannelKey                  string          `json:"channelKey"`
	OrderName                   string          `json:"orderName"`
	Customer                    *docCustomer    `json:"customer"`
	CustomData                  string          `json:"customData"`
	Amount                      docAmountInput  `json:"amount"`
	Currency                    string          `json:"currency"`
	InstallmentMonth            int             `json:"installmentMonth"`
	UseFreeInterestFromMerchant bool            `json:"useFreeInterestFromMerchant"`
	UseCardPoint                bool            `json:"useCardPoint"`
	CashReceipt                 json.RawMessage `json:"cashReceipt"`
	Country                     string          `json:"country"`
	NoticeURLs                  []string        `json:"noticeUrls"`
	Products                    json.RawMessage `json:"products"`
	ProductCount                int             `json:"productCount"`
	ProductType                 string          `json:"productType"`
	ShippingAddress             json.RawMessage `json:"shippingAddress"`
	PromotionID                 string          `json:"promotionId"`
	Locale                      string          `json:"locale"`
	Bypass                      json.RawMessage `json:"bypass"`
	SkipWebhook                 bool            `json:"skipWebhook"`
}

type docCustomer struct {
	ID                         string          `json:"id"`
	Name                       json.RawMessage `json:"name"`
	BirthYear                  string          `json:"birthYear"`
	BirthMonth                 string          `json:"birthMonth"`
	BirthDay                   string          `json:"birthDay"`
	Country                    string          `json:"country"`
	Gender                     string          `json:"gender"`
	Email                      string          `json:"email"`
	PhoneNumber                string          `json:"phoneNumber"`
	Address                    json.RawMessage `json:"address"`
	Zipcode                    string          `json:"zipcode"`
	BusinessRegistrationNumber string          `json:"businessRegistrationNumber"`
}

type docAmountInput struct {
	Total   int64 `json:"total"`
	TaxFree int64 `json:"taxFree"`
	VAT     int64 `json:"vat"`
}

type docCancelPaymentBody struct {
	StoreID                       string          `json:"storeId"`
	Amount                        int64           `json:"amount"`
	TaxFreeAmount                 int64           `json:"taxFreeAmount"`
	VATAmount                     int64           `json:"vatAmount"`
	Reason                        string          `json:"reason"`
	Requester                     string          `json:"requester"`
	PromotionDiscountRetainOption string          `json:"promotionDiscountRetainOption"`
	CurrentCancellableAmount      *int64          `json:"currentCancellableAmount"`
	RefundAccount                 json.RawMessage `json:"refundAccount"`
	RefundEmail                   string          `json:"refundEmail"`
	SkipWebhook                   bool            `json:"skipWebhook"`
}

const secret = "portone-contract-secret"

type exchange struct {
	method, path string
	query        map[string]string
	doc          any
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
		require.Equal(t, "PortOne "+secret, r.Header.Get("Authorization"))
		require.Empty(t, r.Header.Get("Idempotency-Key"), "PortOne takes no Idempotency-Key: the paymentId is the key")
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		if ex.doc == nil {
			require.Empty(t, body)
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(ex.doc), "the client sent a field PortOne does not document: %s", body)
		var present map[string]any
		require.NoError(t, json.Unmarshal(body, &present))
		for _, f := range ex.required {
			require.Contains(t, present, f, "required field %s", f)
		}
	}))
	t.Cleanup(srv.Close)
	return client.New("pg:beta", srv.URL, secret, "store-1", srv.Client())
}

const paidPayment = `{"status":"PAID","id":"pay_0190f4c6","transactionId":"0190f4c6-tx","merchantId":"merchant-1","storeId":"store-1",
 "method":{"type":"PaymentMethodCard","card":{"publisher":"현대","issuer":"현대","brand":"VISA","type":"CREDIT","ownerType":"PERSONAL","bin":"411111","name":"현대카드","number":"411111******1111"},"approvalNumber":"12345678"},
 "channel":{"type":"TEST","pgProvider":"TOSSPAYMENTS","pgMerchantId":"tosspayments"},"version":"V2","billingKey":"billing-key-1",
 "requestedAt":"2026-12-01T01:00:00Z","updatedAt":"2026-12-01T01:00:01Z","statusChangedAt":"2026-12-01T01:00:01Z","orderName":"order o-1",
 "amount":{"total":15000,"taxFree":0,"vat":1364,"supply":13636,"discount":0,"paid":15000,"cancelled":0,"cancelledTaxFree":0},
 "currency":"KRW","customer":{"id":"cus_1"},"origin":{"platformType":"API","ipAddress":"127.0.0.1"},"paidAt":"2026-12-01T01:00:01Z","pgTxId":"pg-1","disputes":[]}`

func TestConfirmAndReadBillingKeyContract(t *testing.T) {
	c := serve(t, exchange{method: "POST", path: "/billing-keys/confirm", doc: &docConfirmBillingKeyBody{}, required: []string{"billingIssueToken"},
		status: 200, answer: `{"billingKey":"billing-key-1"}`})
	sum, err := c.ConfirmBillingKey(context.Background(), client.ConfirmBillingKeyBody{StoreID: "store-1", BillingIssueToken: "tok"})
	require.NoError(t, err)
	require.Equal(t, "billing-key-1", sum.BillingKey)

	c = serve(t, exchange{method: "GET", path: "/billing-keys/billing-key-1", query: map[string]string{"storeId": "store-1"}, status: 200,
		answer: `{"status":"ISSUED","billingKey":"billing-key-1","merchantId":"merchant-1","storeId":"store-1","methods":[{"type":"BillingKeyPaymentMethodCard","card":{"brand":"MASTER","type":"DEBIT","number":"555555******4444"}}],"channels":[],"customer":{},"issuedAt":"2026-12-01T01:00:00Z"}`})
	info, err := c.GetBillingKey(context.Background(), "billing-key-1")
	require.NoError(t, err)
	require.Equal(t, "DEBIT", info.Methods[0].Card.Type)
}

func TestPayWithBillingKeyContract(t *testing.T) {
	sent := &docBillingKeyPaymentInput{}
	c := serve(t, exchange{method: "POST", path: "/payments/pay_0190f4c6/billing-key", doc: sent,
		required: []string{"billingKey", "orderName", "amount", "currency"}, status: 200,
		answer: `{"payment":{"pgTxId":"pg-1","paidAt":"2026-12-01T01:00:01Z"}}`})
	vat := int64(1636)
	res, err := c.PayWithBillingKey(context.Background(), "pay_0190f4c6", client.BillingKeyPaymentInput{StoreID: "store-1", BillingKey: "billing-key-1",
		OrderName: "order o-1", Customer: &client.CustomerInput{ID: "cus_1"}, Amount: client.PaymentAmountInput{Total: 30000, TaxFree: 12000, VAT: &vat}, Currency: "KRW"})
	require.NoError(t, err)
	require.Equal(t, docAmountInput{Total: 30000, TaxFree: 12000, VAT: 1636}, sent.Amount, "amount.taxFree and amount.vat")
	require.Equal(t, "pg-1", res.Payment.PgTxID)
}

func TestCancelAndGetContract(t *testing.T) {
	bal := int64(15000)
	sent := &docCancelPaymentBody{}
	c := serve(t, exchange{method: "POST", path: "/payments/pay_0190f4c6/cancel", doc: sent, required: []string{"reason"}, status: 200,
		answer: `{"cancellation":{"status":"SUCCEEDED","id":"c-1","pgCancellationId":"pgc-1","totalAmount":4000,"taxFreeAmount":0,"vatAmount":364,"reason":"refund [refund:r1]","cancelledAt":"2026-12-01T02:00:00Z","requestedAt":"2026-12-01T02:00:00Z"}}`})
	res, err := c.CancelPayment(context.Background(), "pay_0190f4c6", client.CancelPaymentBody{StoreID: "store-1", Amount: 4000, TaxFreeAmount: 1600, Reason: "refund [refund:r1]", Requester: "ADMIN", CurrentCancellableAmount: &bal})
	require.NoError(t, err)
	require.EqualValues(t, 1600, sent.TaxFreeAmount, "taxFreeAmount of the cancel")
	require.Equal(t, "SUCCEEDED", res.Cancellation.Status)

	c = serve(t, exchange{method: "GET", path: "/payments/pay_0190f4c6", query: map[string]string{"storeId": "store-1"}, status: 200, answer: paidPayment})
	p, err := c.GetPayment(context.Background(), "pay_0190f4c6")
	require.NoError(t, err)
	require.Equal(t, client.StatusPaid, p.Status)
	require.EqualValues(t, 15000, p.Amount.Paid)
}

// PortOne's documented error bodies ({type, message}; PgProviderError with
// pgCode and pgMessage) and what the client makes of them.
func TestErrorShapesAreRead(t *testing.T) {
	for _, tc := range []struct {
		status             int
		body               string
		code, providerCode string
		kind               adapters.Kind
	}{
		{400, `{"type":"InvalidRequestError","message":"bad"}`, "InvalidRequestError", "", adapters.Invalid},
		{401, `{"type":"UnauthorizedError","message":"no"}`, "UnauthorizedError", "", adapters.Invalid},
		{404, `{"type":"PaymentNotFoundError","message":"none"}`, "PaymentNotFoundError", "", adapters.NotFound},
		{502, `{"type":"PgProviderError","message":"pg","pgCode":"REJECT_CARD_PAYMENT","pgMessage":"잔액부족"}`, "PgProviderError", "REJECT_CARD_PAYMENT", adapters.Transient},
	} {
		c := serve(t, exchange{method: "GET", path: "/payments/p1", query: map[string]string{"storeId": "store-1"}, status: tc.status, answer: tc.body})
		_, err := c.GetPayment(context.Background(), "p1")
		var e *adapters.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, tc.code, e.Code)
		require.Equal(t, tc.providerCode, e.ProviderCode)
		require.Equal(t, tc.kind, e.Kind, "the client classifies by status; the connector turns PgProviderError into a decline")
	}
}

// The requestBody of GET /payment-events-by-cursor, as PortOne's OpenAPI lists it.
type docGetAllPaymentEventsByCursorBody struct {
	StoreID string `json:"storeId"`
	From    string `json:"from"`
	Until   string `json:"until"`
	Cursor  string `json:"cursor"`
	Size    int    `json:"size"`
}

// The payment-events request carries its body as JSON in the requestBody query
// parameter, with only documented fields; the answer's events are read.
func TestPaymentEventsContract(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items":[{"paymentEvent":{"type":"PAID","id":"evt-1","paymentId":"pay_1","transactionId":"pay_1-tx","merchantId":"merchant-1","storeId":"store-1",
 "channel":{"type":"TEST"},"version":"V2","requestedAt":"2026-12-01T01:00:00Z","createdAt":"2026-12-01T01:00:01Z","orderName":"order o-1",
 "totalAmount":{"total":15000,"paid":15000,"cancelled":0},"currency":"KRW","customer":{"id":"cus_1"},"disputes":[],"eventAmount":15000,"origin":{"platformType":"API"}},"cursor":"c-1"},
 {"paymentEvent":{"type":"PARTIAL_CANCELLED","id":"evt-2","paymentId":"pay_1","transactionId":"pay_1-tx","storeId":"store-1","createdAt":"2026-12-01T02:00:00Z","currency":"KRW","eventAmount":-4000},"cursor":"c-2"}]}`)
		}()
		require.Equal(t, "GET", r.Method)
		require.Equal(t, "/payment-events-by-cursor", r.URL.Path)
		require.Equal(t, "PortOne "+secret, r.Header.Get("Authorization"))
		dec := json.NewDecoder(bytes.NewReader([]byte(r.URL.Query().Get("requestBody"))))
		dec.DisallowUnknownFields()
		var doc docGetAllPaymentEventsByCursorBody
		require.NoError(t, dec.Decode(&doc), "requestBody with an undocumented field: %s", r.URL.Query().Get("requestBody"))
		require.Equal(t, "store-1", doc.StoreID)
		require.Equal(t, "2026-11-30T15:00:00Z", doc.From)
		require.Equal(t, 1000, doc.Size)
	}))
	t.Cleanup(srv.Close)
	c := client.New("pg:beta", srv.URL, secret, "store-1", srv.Client())
	from := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	until := from.AddDate(0, 0, 1)

	res, err := c.PaymentEvents(context.Background(), client.GetAllPaymentEventsByCursorBody{From: &from, Until: &until, Size: 1000})

	require.NoError(t, err)
	require.Len(t, res.Items, 2)
	require.Equal(t, client.EventPaid, res.Items[0].PaymentEvent.Type)
	require.EqualValues(t, -4000, res.Items[1].PaymentEvent.EventAmount)
	require.Equal(t, "c-2", res.Items[1].Cursor)
}
