package identity

import (
	"context"
	"net/http"
	"net/url"

	"github.com/paysaga/paysaga/adapters"
)

// Decline codes of the identity provider, answered with 422.
const (
	CodeWrongCode       = "WRONG_CODE"
	CodeExpired         = "CODE_EXPIRED"
	CodeTooManyAttempts = "TOO_MANY_ATTEMPTS"
)

// NewHTTPClient is a Client for the identity provider at baseURL (e.g.
// http://127.0.0.1:8090/identity), speaking the wire protocol in
// providersim/README.md. Timeouts come from hc and from each call's ctx; a nil hc
// means http.DefaultClient. A wrong, expired or exhausted code is Declined.
func NewHTTPClient(baseURL string, hc *http.Client) Client {
	return &httpClient{call: adapters.Caller{
		Provider: "identity", BaseURL: baseURL, HTTP: hc,
		DeclineCodes: map[string]bool{CodeWrongCode: true, CodeExpired: true, CodeTooManyAttempts: true},
	}}
}

type httpClient struct {
	call adapters.Caller
}

type wireCodeRequest struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	BirthDate string `json:"birth_date"`
}

type wireCodeResponse struct {
	RequestID string `json:"request_id"`
	ExpiresIn int    `json:"expires_in"`
}

type wireConfirmRequest struct {
	Code string `json:"code"`
}

type wirePerson struct {
	CI string `json:"ci"`
	DI string `json:"di"`
}

func (c *httpClient) RequestCode(ctx context.Context, req CodeRequest) (Request, error) {
	const op = "request_code"
	if req.IdempotencyKey == "" {
		return Request{}, c.call.Invalid(op, "idempotency key is required")
	}
	var out wireCodeResponse
	err := c.call.Do(ctx, adapters.Call{
		Op: op, Method: http.MethodPost, Path: "/v1/requests", IdempotencyKey: req.IdempotencyKey,
		Body: wireCodeRequest{Name: req.Name, Phone: req.Phone, BirthDate: req.BirthDate},
	}, &out)
	if err != nil {
		return Request{}, err
	}
	return Request{RequestID: out.RequestID, ExpiresIn: out.ExpiresIn}, nil
}

func (c *httpClient) Confirm(ctx context.Context, requestID, code string) (Person, error) {
	const op = "confirm"
	if requestID == "" {
		return Person{}, c.call.Invalid(op, "request id is required")
	}
	var out wirePerson
	err := c.call.Do(ctx, adapters.Call{
		Op: op, Method: http.MethodPost, Path: "/v1/requests/" + url.PathEscape(requestID) + "/confirm",
		Body: wireConfirmRequest{Code: code},
	}, &out)
	if err != nil {
		return Person{}, err
	}
	return Person{CI: out.CI, DI: out.DI}, nil
}
