package api

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/config"
)

// Whatever the body, decoding and validating a checkout never panics, and a
// request that passes is one the workflow can take: a positive amount within
// the limit, a supported currency, items that add up to it exactly.
func FuzzCheckoutRequest(f *testing.F) {
	f.Add(`{"order_id":"o-1","customer_id":"cus_1","currency":"KRW","amount":15000,"items":[{"producer_id":"a","amount":10000},{"producer_id":"b","amount":5000}],"payment":{"method_id":"pm_1"}}`)
	f.Add(`{"order_id":"o-1","customer_id":"cus_1","currency":"KRW","amount":-1,"items":[],"payment":null}`)
	f.Add(`{"amount":9223372036854775807,"items":[{"producer_id":"a","amount":9223372036854775807},{"producer_id":"b","amount":1}]}`)
	f.Add(`{"order_id":"\u0000","currency":"krw","amount":1e3}`)
	f.Add(`[]`)
	f.Add(`{"order_id":"o"}{"order_id":"p"}`)
	cfg := config.Default()
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/checkouts", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := e.NewContext(req, httptest.NewRecorder())
		var r checkoutRequest
		if err := decodeJSON(c, &r, false); err != nil {
			requireClientProblem(t, err)
			return
		}
		if err := r.validate(cfg); err != nil {
			requireClientProblem(t, err)
			return
		}
		if r.Amount <= 0 || r.Amount > cfg.MaxAmount || !slices.Contains(cfg.Currencies, r.Currency) {
			t.Fatalf("accepted amount %d %q", r.Amount, r.Currency)
		}
		var sum int64
		for _, it := range r.Items {
			if it.Amount <= 0 {
				t.Fatalf("accepted item amount %d", it.Amount)
			}
			sum += it.Amount
		}
		if sum != r.Amount || r.Payment == nil || r.Payment.MethodID == "" {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func requireClientProblem(t *testing.T, err error) {
	t.Helper()
	p, ok := err.(*Problem)
	if !ok || p.Status < 400 || p.Status > 499 {
		t.Fatalf("bad input answered %v, want a 4xx problem", err)
	}
}
