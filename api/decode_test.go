package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"
)

type decodeTarget struct {
	Amount  int64  `json:"amount"`
	Name    string `json:"name"`
	Payment *struct {
		MethodID string `json:"method_id"`
	} `json:"payment"`
	Items []struct {
		ProducerID string `json:"producer_id"`
		Amount     int64  `json:"amount"`
	} `json:"items"`
}

// decodeJSON refuses what encoding/json would take silently: ambiguous bodies
// (a key twice, at any depth), text that is not UTF-8, and bodies without a
// JSON Content-Type.
func TestDecodeJSONRefusesAmbiguousAndInvalidBodies(t *testing.T) {
	cases := []struct {
		name, ct, body string
		allowEmpty     bool
		status         int
		code, field    string
	}{
		{"duplicate top-level key", "application/json", `{"amount":1,"amount":15000}`, false, 400, codeDuplicateKey, "amount"},
		{"duplicate nested key", "application/json", `{"payment":{"method_id":"a","method_id":"b"}}`, false, 400, codeDuplicateKey, "payment.method_id"},
		{"duplicate key in an array item", "application/json", `{"items":[{"producer_id":"a","amount":1},{"amount":2,"amount":3}]}`, false, 400, codeDuplicateKey, "items[].amount"},
		{"invalid UTF-8 bytes", "application/json", "{\"name\":\"\xc3\x28\"}", false, 400, codeInvalidUTF8, ""},
		{"lone high surrogate", "application/json", `{"name":"\ud800x"}`, false, 400, codeInvalidUTF8, ""},
		{"lone low surrogate", "application/json", `{"name":"\udc00"}`, false, 400, codeInvalidUTF8, ""},
		{"no Content-Type", "", `{"amount":1}`, false, 415, codeUnsupportedMediaType, ""},
		{"no Content-Type, optional body sent", "", `{"amount":1}`, true, 415, codeUnsupportedMediaType, ""},
		{"text/plain", "text/plain", `{"amount":1}`, false, 415, codeUnsupportedMediaType, ""},
		{"form", "application/x-www-form-urlencoded", `amount=1`, false, 415, codeUnsupportedMediaType, ""},
		{"trailing data", "application/json", `{"amount":1}{"amount":2}`, false, 400, codeMalformedJSON, ""},
		{"unknown field", "application/json", `{"amount":1,"x":2}`, false, 400, codeUnknownField, "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeBody(tc.ct, tc.body, tc.allowEmpty)
			p, ok := err.(*Problem)
			require.True(t, ok, "want a problem, got %v", err)
			require.Equal(t, tc.status, p.Status, p.Detail)
			require.Equal(t, tc.code, p.Code, p.Detail)
			if tc.field != "" {
				require.Equal(t, tc.field, p.Errors[0].Field)
			}
		})
	}
}

func TestDecodeJSONAcceptsCleanBodies(t *testing.T) {
	for _, tc := range []struct{ ct, body string }{
		{"application/json", `{"amount":1,"name":"홍길동","payment":{"method_id":"a"},"items":[{"producer_id":"a","amount":1},{"producer_id":"b","amount":1}]}`},
		{"application/json; charset=utf-8", `{"name":"\ud83d\ude00 \u00e9 \\ud800"}`}, // a surrogate pair; an escaped backslash
		{"application/merge-patch+json", `{"amount":2}`},
	} {
		require.NoError(t, decodeBody(tc.ct, tc.body, false), tc.body)
	}
	require.NoError(t, decodeBody("", "", true), "a route whose body is optional takes none, without a Content-Type")
}

func decodeBody(ct, body string, allowEmpty bool) error {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if ct != "" {
		req.Header.Set(echo.HeaderContentType, ct)
	}
	var dst decodeTarget
	return decodeJSON(echo.New().NewContext(req, httptest.NewRecorder()), &dst, allowEmpty)
}

// The same JSON with another key order or spacing is the same request; any
// changed value, or a body the decoder refuses, is another.
func TestCanonicalRequestHash(t *testing.T) {
	a := requestHash("POST", "/v1/checkouts", []byte(`{"amount":15000,"items":[{"producer_id":"a","amount":1}],"order_id":"o-1"}`))
	b := requestHash("POST", "/v1/checkouts", []byte("{ \"order_id\" : \"o-1\",\n \"items\":[ {\"amount\":1, \"producer_id\":\"\\u0061\"} ], \"amount\": 15000 }"))
	require.Equal(t, a, b)
	for _, other := range []string{
		`{"amount":15001,"items":[{"producer_id":"a","amount":1}],"order_id":"o-1"}`,
		`{"amount":15000,"items":[{"producer_id":"a","amount":1}],"order_id":"o-2"}`,
		`{"amount":15000.0,"items":[{"producer_id":"a","amount":1}],"order_id":"o-1"}`,
		`{"amount":15000,"amount":15000,"items":[{"producer_id":"a","amount":1}],"order_id":"o-1"}`,
	} {
		require.NotEqual(t, a, requestHash("POST", "/v1/checkouts", []byte(other)), other)
	}
	require.NotEqual(t, a, requestHash("POST", "/v1/checkouts/x", []byte(`{"amount":15000,"items":[{"producer_id":"a","amount":1}],"order_id":"o-1"}`)))
}
