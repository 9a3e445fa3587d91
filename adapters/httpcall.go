package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
)

// Caller sends JSON requests to one provider and turns every failure into a
// classified *Error. The pg, bank and identity clients are built on it.
//
// Classification of an answer (status, body {code, message}):
//   - 402, or a 4xx whose code is in DeclineCodes: Declined
//   - 503 with code PROVIDER_UNAVAILABLE: Unavailable (the provider says it is down)
//   - other 5xx, 429, 408, 409: Transient (retry with the same idempotency key)
//   - 404 on a lookup (Call.Lookup) whose code is the provider's "nothing under
//     that key" (NotFoundCodes; any JSON code when NotFoundCodes is nil): NotFound.
//     A 404 without such a code (a wrong base URL, an unknown PG instance) is
//     Invalid: it says nothing about the key, so it must not read as "not processed".
//   - other 4xx (400, 404, 422, ...): Invalid
//
// and of no answer:
//   - no connection was ever made (connection refused, DNS failure, deadline hit
//     while dialing): Unavailable, since nothing was sent
//   - anything after a connection was made (timeout, connection dropped, an
//     unreadable 2xx body): Ambiguous
type Caller struct {
	Provider     string // e.g. "pg:alpha", used in every Error
	BaseURL      string // e.g. http://127.0.0.1:8090/pg/alpha
	HTTP         *http.Client
	DeclineCodes map[string]bool // provider codes that are declines whatever their 4xx status
	// NotFoundCodes are the codes of a 404 that means "nothing under that key" on a
	// lookup. Nil accepts any code the provider sent in a JSON error body.
	NotFoundCodes map[string]bool
	// Authorization is sent as the Authorization header of every request when set
	// (Toss: "Basic base64(secretKey:)", PortOne: "PortOne {secret}"). It is a
	// secret: it never appears in an Error or a log.
	Authorization string
}

// Call is one request.
type Call struct {
	Op             string // names the operation in errors, e.g. "authorize"
	Method         string
	Path           string // below BaseURL, already escaped, e.g. "/v1/payments"
	Query          url.Values
	IdempotencyKey string // sent as the Idempotency-Key header when set
	Body           any    // marshaled as JSON when non-nil
	Lookup         bool   // a 404 means "nothing under that key" (NotFound), not a bad request
}

// maxResponse bounds what is read from a provider.
const maxResponse = 1 << 20

// errorBody is the providers' error answer: {code, message} (Toss, the sandbox's
// own protocols) or {type, message} with pgCode for a PG's refusal (PortOne V2).
type errorBody struct {
	Code    string `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
	PgCode  string `json:"pgCode"`
}

// Do sends the call and decodes a 2xx JSON answer into out (when out is non-nil).
func (c *Caller) Do(ctx context.Context, call Call, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimRight(c.BaseURL, "/") + call.Path
	if len(call.Query) > 0 {
		u += "?" + call.Query.Encode()
	}
	if !validHeaderValue(call.IdempotencyKey) {
		return c.Invalid(call.Op, "the idempotency key must be printable ASCII")
	}
	var body io.Reader
	var length int64
	if call.Body != nil {
		b, err := json.Marshal(call.Body)
		if err != nil {
			return c.Invalid(call.Op, "encode request: "+err.Error())
		}
		// Wrapped so that net/http cannot replay it: the transport silently re-sends
		// a replayable request carrying an Idempotency-Key when a reused connection
		// fails, which would hide an ambiguous outcome from the caller.
		body = io.NopCloser(bytes.NewReader(b))
		length = int64(len(b))
	}

	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), call.Method, u, body)
	if err != nil {
		return c.Invalid(call.Op, "build request: "+err.Error())
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
	}
	if call.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", call.IdempotencyKey)
	}
	if c.Authorization != "" {
		req.Header.Set("Authorization", c.Authorization)
	}

	resp, err := hc.Do(req)
	if err != nil {
		if !connected.Load() {
			return &Error{Provider: c.Provider, Op: call.Op, Kind: Unavailable,
				Message: "no connection to the provider; the request was not sent", Err: err}
		}
		return &Error{Provider: c.Provider, Op: call.Op, Kind: Ambiguous,
			Message: "no answer after the request was sent; it may have been processed", Err: err}
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))

	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if readErr == nil && out != nil {
			readErr = json.Unmarshal(data, out)
		}
		if readErr != nil {
			return &Error{Provider: c.Provider, Op: call.Op, Kind: Ambiguous, Status: resp.StatusCode,
				Message: "the provider's answer could not be read; it may have been processed", Err: readErr}
		}
		return nil
	}
	var eb errorBody
	_ = json.Unmarshal(data, &eb) // a body that is not JSON leaves the code empty
	if eb.Code == "" {
		eb.Code = eb.Type
	}
	return &Error{Provider: c.Provider, Op: call.Op, Kind: c.classify(resp.StatusCode, eb.Code, call.Lookup),
		Status: resp.StatusCode, Code: eb.Code, Message: eb.Message, ProviderCode: eb.PgCode}
}

func (c *Caller) classify(status int, code string, lookup bool) Kind {
	switch {
	case status == http.StatusPaymentRequired, status >= 400 && status < 500 && c.DeclineCodes[code]:
		return Declined
	case status == http.StatusServiceUnavailable && code == "PROVIDER_UNAVAILABLE":
		return Unavailable
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout,
		status == http.StatusConflict:
		return Transient
	case status == http.StatusNotFound && lookup && code != "" && (c.NotFoundCodes == nil || c.NotFoundCodes[code]):
		return NotFound
	default:
		// Other 4xx, and a 1xx/3xx that net/http did not resolve: the request as
		// sent can never succeed.
		return Invalid
	}
}

// Invalid is the error for a request rejected before it was sent.
func (c *Caller) Invalid(op, msg string) error {
	return &Error{Provider: c.Provider, Op: op, Kind: Invalid, Message: msg}
}

// validHeaderValue reports whether s can be sent as a header value as is: visible
// ASCII and spaces. net/http would refuse anything else without sending, and that
// refusal must not read as "provider unavailable".
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
