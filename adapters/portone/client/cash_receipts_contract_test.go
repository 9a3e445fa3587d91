package client_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// IssueCashReceiptBody and its customer, as PortOne's OpenAPI document lists
// them (written apart from the client's types).
type docIssueCashReceiptBody struct {
	StoreID     string                 `json:"storeId"`
	PaymentID   string                 `json:"paymentId"`
	ChannelKey  string                 `json:"channelKey"`
	Type        string                 `json:"type"`
	OrderName   string                 `json:"orderName"`
	Currency    string                 `json:"currency"`
	Amount      docAmountInput         `json:"amount"`
	ProductType string                 `json:"productType"`
	Customer    docCashReceiptCustomer `json:"customer"`
	PaidAt      string                 `json:"paidAt"`
}

type docCashReceiptCustomer struct {
	IdentityNumber string `json:"identityNumber"`
	Name           string `json:"name"`
	Email          string `json:"email"`
	PhoneNumber    string `json:"phoneNumber"`
}

func TestIssueCashReceiptContract(t *testing.T) {
	sent := &docIssueCashReceiptBody{}
	c := serve(t, exchange{method: "POST", path: "/cash-receipts", doc: sent,
		required: []string{"paymentId", "channelKey", "type", "orderName", "currency", "amount", "customer"}, status: 200,
		answer: `{"cashReceipt":{"issueNumber":"","url":"https://receipt.example/cr-1","pgReceiptId":"pgr-1"}}`})
	res, err := c.IssueCashReceipt(context.Background(), client.IssueCashReceiptBody{StoreID: "store-1", PaymentID: "receipt-pay_1",
		ChannelKey: "channel-key-1", Type: client.CashReceiptPersonal, OrderName: "order o-1", Currency: "KRW",
		Amount: client.PaymentAmountInput{Total: 15000, TaxFree: 5000}, Customer: client.IssueCashReceiptCustomerInput{IdentityNumber: "01012345678"}})
	require.NoError(t, err)
	require.Equal(t, "pgr-1", res.CashReceipt.PgReceiptID)
	require.Equal(t, docAmountInput{Total: 15000, TaxFree: 5000}, sent.Amount)
	require.Equal(t, "01012345678", sent.Customer.IdentityNumber)
	require.Equal(t, "PERSONAL", sent.Type)
}

func TestCancelAndGetCashReceiptContract(t *testing.T) {
	c := serve(t, exchange{method: "POST", path: "/payments/receipt-pay_1/cash-receipt/cancel", query: map[string]string{"storeId": "store-1"},
		status: 200, answer: `{"cancelledAmount":15000,"cancelledAt":"2026-12-01T02:00:00Z"}`})
	res, err := c.CancelCashReceipt(context.Background(), "receipt-pay_1")
	require.NoError(t, err)
	require.EqualValues(t, 15000, res.CancelledAmount)

	c = serve(t, exchange{method: "GET", path: "/payments/receipt-pay_1/cash-receipt", query: map[string]string{"storeId": "store-1"}, status: 200,
		answer: `{"status":"ISSUED","merchantId":"merchant-1","storeId":"store-1","paymentId":"receipt-pay_1","channel":{"type":"TEST","id":"ch-1","key":"channel-key-1","name":"test","pgProvider":"TOSSPAYMENTS","pgMerchantId":"tosspayments"},
 "amount":15000,"taxFreeAmount":5000,"vatAmount":909,"currency":"KRW","orderName":"order o-1","isManual":true,"type":"PERSONAL","pgReceiptId":"pgr-1","issueNumber":"123456789","url":"https://receipt.example/cr-1","issuedAt":"2026-12-01T01:00:00Z"}`})
	got, err := c.GetCashReceipt(context.Background(), "receipt-pay_1")
	require.NoError(t, err)
	require.Equal(t, client.CashReceiptIssued, got.Status)
	require.Equal(t, "123456789", got.IssueNumber)
	require.EqualValues(t, 5000, got.TaxFreeAmount)
}

// The cash-receipt error types the operations list, and what the client makes of them.
func TestCashReceiptErrorsAreRead(t *testing.T) {
	for _, tc := range []struct {
		status int
		typ    string
		kind   adapters.Kind
	}{
		{404, client.TypeCashReceiptNotFound, adapters.NotFound},
		{409, client.TypeCashReceiptAlreadyIssued, adapters.Transient}, // by status; the connector resolves it by a look-up
		{409, client.TypeCashReceiptNotIssued, adapters.Transient},
	} {
		body, _ := json.Marshal(map[string]string{"type": tc.typ, "message": "m"})
		c := serve(t, exchange{method: "GET", path: "/payments/p1/cash-receipt", query: map[string]string{"storeId": "store-1"}, status: tc.status, answer: string(body)})
		_, err := c.GetCashReceipt(context.Background(), "p1")
		var e *adapters.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, tc.typ, e.Code)
		require.Equal(t, tc.kind, e.Kind, tc.typ)
	}
}
