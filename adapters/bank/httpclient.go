package bank

import (
	"context"
	"net/http"
	"net/url"

	"github.com/paysaga/paysaga/adapters"
)

// The bank's answers to a lookup that finds nothing.
const (
	CodeTransactionNotFound = "TRANSACTION_NOT_FOUND"
	CodeAccountNotFound     = "ACCOUNT_NOT_FOUND"
)

// NewHTTPClient is a Client for the bank at baseURL (e.g.
// http://127.0.0.1:8090/bank), speaking the wire protocol in providersim/README.md.
// Timeouts come from hc and from each call's ctx; a nil hc means http.DefaultClient.
// Account numbers travel only in request bodies, never in errors or URLs.
func NewHTTPClient(baseURL string, hc *http.Client) Client {
	return &httpClient{call: adapters.Caller{Provider: "bank", BaseURL: baseURL, HTTP: hc,
		NotFoundCodes: map[string]bool{CodeTransactionNotFound: true, CodeAccountNotFound: true}}}
}

type httpClient struct {
	call adapters.Caller
}

type wireInquiryRequest struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
}

type wireInquiry struct {
	HolderName string `json:"holder_name"`
}

type wireMoveRequest struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Memo          string `json:"memo"`
}

type wireTransaction struct {
	TransactionID string `json:"transaction_id"`
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"` // GET /v1/transactions/{id} only
	HolderName    string `json:"holder_name"`
}

func (t wireTransaction) transaction() Transaction {
	return Transaction{ID: t.TransactionID, Kind: t.Kind, Status: t.Status, Amount: t.Amount, Currency: t.Currency}
}

// InquireHolder returns the account's holder name; an account the bank does not
// know is an adapters.Error of kind NotFound.
func (c *httpClient) InquireHolder(ctx context.Context, bankCode, accountNumber string) (string, error) {
	var out wireInquiry
	err := c.call.Do(ctx, adapters.Call{
		Op: "inquiry", Method: http.MethodPost, Path: "/v1/inquiry", Lookup: true,
		Body: wireInquiryRequest{BankCode: bankCode, AccountNumber: accountNumber},
	}, &out)
	if err != nil {
		return "", err
	}
	return out.HolderName, nil
}

func (c *httpClient) Debit(ctx context.Context, req MoveRequest) (Transaction, error) {
	return c.move(ctx, "debit", "/v1/debits", req)
}

func (c *httpClient) Transfer(ctx context.Context, req MoveRequest) (Transaction, error) {
	return c.move(ctx, "transfer", "/v1/transfers", req)
}

func (c *httpClient) move(ctx context.Context, op, path string, req MoveRequest) (Transaction, error) {
	if req.IdempotencyKey == "" {
		return Transaction{}, c.call.Invalid(op, "idempotency key is required")
	}
	var out wireTransaction
	err := c.call.Do(ctx, adapters.Call{
		Op: op, Method: http.MethodPost, Path: path, IdempotencyKey: req.IdempotencyKey,
		Body: wireMoveRequest{BankCode: req.BankCode, AccountNumber: req.AccountNumber, HolderName: req.HolderName,
			Amount: req.Amount, Currency: req.Currency, Memo: req.Memo},
	}, &out)
	if err != nil {
		return Transaction{}, err
	}
	return out.transaction(), nil
}

func (c *httpClient) GetByIdempotencyKey(ctx context.Context, key string) (Transaction, error) {
	const op = "query"
	if key == "" {
		return Transaction{}, c.call.Invalid(op, "idempotency key is required")
	}
	var out wireTransaction
	err := c.call.Do(ctx, adapters.Call{
		Op: op, Method: http.MethodGet, Path: "/v1/transactions", Query: url.Values{"idempotency_key": {key}}, Lookup: true,
	}, &out)
	if err != nil {
		return Transaction{}, err
	}
	return out.transaction(), nil
}

// GetTransaction reads a transaction by the bank's id; an unknown id is an
// adapters.Error of kind NotFound. The id travels in the path; the account
// number only in the answer's body.
func (c *httpClient) GetTransaction(ctx context.Context, id string) (Transaction, error) {
	const op = "get_transaction"
	if id == "" {
		return Transaction{}, c.call.Invalid(op, "transaction id is required")
	}
	var out wireTransaction
	err := c.call.Do(ctx, adapters.Call{
		Op: op, Method: http.MethodGet, Path: "/v1/transactions/" + url.PathEscape(id), Lookup: true,
	}, &out)
	if err != nil {
		return Transaction{}, err
	}
	txn := out.transaction()
	txn.BankCode, txn.AccountNumber, txn.HolderName = out.BankCode, out.AccountNumber, out.HolderName
	return txn, nil
}
