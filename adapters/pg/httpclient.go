package pg

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/cardbin"
)

// CodePaymentNotFound is the PG's answer to a query that finds no payment.
const CodePaymentNotFound = "PAYMENT_NOT_FOUND"

// NewHTTPClient is a Client for the PG instance at baseURL (e.g.
// http://127.0.0.1:8090/pg/alpha), speaking the wire protocol in
// providersim/README.md. Timeouts come from hc and from each call's ctx; a nil hc
// means http.DefaultClient.
func NewHTTPClient(name, baseURL string, hc *http.Client) Client {
	return &httpClient{
		name: name,
		call: adapters.Caller{Provider: "pg:" + name, BaseURL: baseURL, HTTP: hc,
			NotFoundCodes: map[string]bool{CodePaymentNotFound: true}},
	}
}

type httpClient struct {
	name string
	call adapters.Caller
}

// Wire types of the PG protocol: JSON, snake_case, RFC 3339 times.

type wireBankAccount struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"`
}

type wireBillingKeyRequest struct {
	CustomerKey string           `json:"customer_key"`
	AuthKey     string           `json:"auth_key,omitempty"`
	BankAccount *wireBankAccount `json:"bank_account,omitempty"`
}

type wireBillingKey struct {
	BillingKey   string `json:"billing_key"`
	Method       string `json:"method"`
	CardBrand    string `json:"card_brand"`
	CardType     string `json:"card_type"`
	CardLast4    string `json:"card_last4"`
	CardBIN      string `json:"card_bin"`
	BankCode     string `json:"bank_code"`
	AccountLast4 string `json:"account_last4"`
}

type wireAuthorizeRequest struct {
	BillingKey        string `json:"billing_key"`
	OrderID           string `json:"order_id"`
	Amount            int64  `json:"amount"`
	Currency          string `json:"currency"`
	InstallmentMonths int    `json:"installment_months,omitempty"`
	InterestFree      bool   `json:"interest_free,omitempty"`
	TaxFreeAmount     int64  `json:"tax_free_amount,omitempty"`
}

type wireCaptureRequest struct {
	Amount int64 `json:"amount"`
}

type wireCancelRequest struct {
	Amount int64  `json:"amount"`
	Reason string `json:"reason"`
}

type wirePayment struct {
	PaymentKey     string    `json:"payment_key"`
	OrderID        string    `json:"order_id"`
	Status         string    `json:"status"`
	Amount         int64     `json:"amount"`
	CapturedAmount int64     `json:"captured_amount"`
	CanceledAmount int64     `json:"canceled_amount"`
	Currency       string    `json:"currency"`
	ApprovedAt     time.Time `json:"approved_at"`
}

func (p wirePayment) payment() Payment {
	return Payment{
		PaymentKey: p.PaymentKey, OrderID: p.OrderID, Status: p.Status, Amount: p.Amount,
		CapturedAmount: p.CapturedAmount, CanceledAmount: p.CanceledAmount, Currency: p.Currency,
		ApprovedAt: p.ApprovedAt,
	}
}

func (c *httpClient) Name() string { return c.name }

func (c *httpClient) IssueBillingKey(ctx context.Context, req IssueBillingKeyRequest) (BillingKey, error) {
	const op = "billing_key"
	if req.CustomerKey == "" {
		return BillingKey{}, c.call.Invalid(op, "customer key is required")
	}
	if (req.AuthKey == "") == (req.BankAccount == nil) {
		return BillingKey{}, c.call.Invalid(op, "give exactly one of auth key and bank account")
	}
	in := wireBillingKeyRequest{CustomerKey: req.CustomerKey, AuthKey: req.AuthKey}
	if ba := req.BankAccount; ba != nil {
		in.BankAccount = &wireBankAccount{BankCode: ba.BankCode, AccountNumber: ba.AccountNumber, HolderName: ba.HolderName}
	}
	var out wireBillingKey
	err := c.call.Do(ctx, adapters.Call{Op: op, Method: http.MethodPost, Path: "/v1/billing-keys", Body: in}, &out)
	if err != nil {
		return BillingKey{}, err
	}
	return BillingKey{
		BillingKey: out.BillingKey, Method: out.Method, CardBrand: out.CardBrand, CardType: out.CardType,
		CardLast4: out.CardLast4, CardBIN: cardbin.Parse(out.CardBIN), BankCode: out.BankCode, AccountLast4: out.AccountLast4,
	}, nil
}

func (c *httpClient) Authorize(ctx context.Context, req AuthorizeRequest) (Payment, error) {
	const op = "authorize"
	if req.IdempotencyKey == "" {
		return Payment{}, c.call.Invalid(op, "idempotency key is required")
	}
	return c.payment(ctx, adapters.Call{
		Op: op, Method: http.MethodPost, Path: "/v1/payments", IdempotencyKey: req.IdempotencyKey,
		Body: wireAuthorizeRequest{BillingKey: req.BillingKey, OrderID: req.OrderID, Amount: req.Amount, Currency: req.Currency,
			InstallmentMonths: req.InstallmentMonths, InterestFree: req.InterestFree, TaxFreeAmount: req.TaxFreeAmount},
	})
}

func (c *httpClient) Capture(ctx context.Context, req CaptureRequest) (Payment, error) {
	const op = "capture"
	if req.IdempotencyKey == "" || req.PaymentKey == "" {
		return Payment{}, c.call.Invalid(op, "idempotency key and payment key are required")
	}
	return c.payment(ctx, adapters.Call{
		Op: op, Method: http.MethodPost, Path: "/v1/payments/" + url.PathEscape(req.PaymentKey) + "/capture",
		IdempotencyKey: req.IdempotencyKey, Body: wireCaptureRequest{Amount: req.Amount},
	})
}

func (c *httpClient) Cancel(ctx context.Context, req CancelRequest) (Payment, error) {
	const op = "cancel"
	if req.IdempotencyKey == "" || req.PaymentKey == "" {
		return Payment{}, c.call.Invalid(op, "idempotency key and payment key are required")
	}
	return c.payment(ctx, adapters.Call{
		Op: op, Method: http.MethodPost, Path: "/v1/payments/" + url.PathEscape(req.PaymentKey) + "/cancel",
		IdempotencyKey: req.IdempotencyKey, Body: wireCancelRequest{Amount: req.Amount, Reason: req.Reason},
	})
}

func (c *httpClient) GetByIdempotencyKey(ctx context.Context, key string) (Payment, error) {
	const op = "query"
	if key == "" {
		return Payment{}, c.call.Invalid(op, "idempotency key is required")
	}
	return c.payment(ctx, adapters.Call{
		Op: op, Method: http.MethodGet, Path: "/v1/payments", Query: url.Values{"idempotency_key": {key}}, Lookup: true,
	})
}

func (c *httpClient) GetPayment(ctx context.Context, paymentKey string) (Payment, error) {
	const op = "query"
	if paymentKey == "" {
		return Payment{}, c.call.Invalid(op, "payment key is required")
	}
	return c.payment(ctx, adapters.Call{
		Op: op, Method: http.MethodGet, Path: "/v1/payments/" + url.PathEscape(paymentKey), Lookup: true,
	})
}

type wireSettlementItem struct {
	PaymentKey string `json:"payment_key"`
	OrderID    string `json:"order_id"`
	Type       string `json:"type"`
	Amount     int64  `json:"amount"`
	Fee        int64  `json:"fee"`
	Currency   string `json:"currency"`
}

func (c *httpClient) Settlements(ctx context.Context, date string) ([]SettlementItem, error) {
	var out struct {
		Items []wireSettlementItem `json:"items"`
	}
	err := c.call.Do(ctx, adapters.Call{Op: "settlements", Method: http.MethodGet, Path: "/v1/settlements", Query: url.Values{"date": {date}}}, &out)
	if err != nil {
		return nil, err
	}
	items := make([]SettlementItem, len(out.Items))
	for i, it := range out.Items {
		items[i] = SettlementItem{PaymentKey: it.PaymentKey, OrderID: it.OrderID, Type: it.Type, Amount: it.Amount, Fee: it.Fee, Currency: it.Currency}
	}
	return items, nil
}

func (c *httpClient) payment(ctx context.Context, call adapters.Call) (Payment, error) {
	var out wirePayment
	if err := c.call.Do(ctx, call, &out); err != nil {
		return Payment{}, err
	}
	return out.payment(), nil
}
