package providersim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// AdminClient is how tests and tools drive the sandbox over HTTP: tokenize cards
// (as the PG's client SDK would), read records, inject faults, register bank
// accounts, read identity codes and reset.
type AdminClient struct {
	base string
	hc   *http.Client
}

// NewAdminClient drives the sandbox at baseURL (e.g. http://127.0.0.1:8090).
// A nil hc means http.DefaultClient.
func NewAdminClient(baseURL string, hc *http.Client) *AdminClient {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &AdminClient{base: strings.TrimRight(baseURL, "/"), hc: hc}
}

// APIError is a non-2xx answer from the sandbox.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("providersim: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Tokenize plays the PG client SDK: it turns a card into a one-time auth key.
// The card number never leaves this call; errors carry only the sandbox's code.
func (a *AdminClient) Tokenize(ctx context.Context, card Card) (string, error) {
	var out tokenizeResponse
	if err := a.do(ctx, http.MethodPost, "/sdk/v1/auth-keys", card, &out); err != nil {
		return "", fmt.Errorf("tokenize card: %w", err)
	}
	return out.AuthKey, nil
}

// Records returns the records f selects, in commit order.
func (a *AdminClient) Records(ctx context.Context, f RecordFilter) ([]Record, error) {
	q := url.Values{}
	for k, v := range map[string]string{
		"provider": f.Provider, "kind": f.Kind, "idempotency_key": f.IdempotencyKey,
		"order_id": f.OrderID, "payment_key": f.PaymentKey,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	path := "/admin/records"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out recordsResponse
	if err := a.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	return out.Records, nil
}

// SetFault adds a fault rule after the existing ones.
func (a *AdminClient) SetFault(ctx context.Context, f Fault) error {
	if err := a.do(ctx, http.MethodPost, "/admin/faults", f, nil); err != nil {
		return fmt.Errorf("set fault: %w", err)
	}
	return nil
}

// ClearFaults removes every fault rule.
func (a *AdminClient) ClearFaults(ctx context.Context) error {
	if err := a.do(ctx, http.MethodDelete, "/admin/faults", nil, nil); err != nil {
		return fmt.Errorf("clear faults: %w", err)
	}
	return nil
}

// Faults lists the fault rules and how often each fired.
func (a *AdminClient) Faults(ctx context.Context) ([]FaultStatus, error) {
	var out faultsResponse
	if err := a.do(ctx, http.MethodGet, "/admin/faults", nil, &out); err != nil {
		return nil, fmt.Errorf("list faults: %w", err)
	}
	return out.Faults, nil
}

// SetBankAccount registers an account's holder name and balance.
func (a *AdminClient) SetBankAccount(ctx context.Context, acct BankAccount) error {
	if err := a.do(ctx, http.MethodPut, "/admin/bank/accounts", acct, nil); err != nil {
		return fmt.Errorf("set bank account: %w", err)
	}
	return nil
}

// IdentityCode returns the code "sent" to the phone for an identity request.
func (a *AdminClient) IdentityCode(ctx context.Context, requestID string) (string, error) {
	var out identityCodeResponse
	if err := a.do(ctx, http.MethodGet, "/admin/identity/requests/"+url.PathEscape(requestID)+"/code", nil, &out); err != nil {
		return "", fmt.Errorf("read identity code: %w", err)
	}
	return out.Code, nil
}

// Reset forgets all state and faults and reseeds the fault RNG.
func (a *AdminClient) Reset(ctx context.Context) error {
	if err := a.do(ctx, http.MethodPost, "/admin/reset", nil, nil); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return nil
}

func (a *AdminClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e apiError
		_ = json.Unmarshal(data, &e)
		return &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
