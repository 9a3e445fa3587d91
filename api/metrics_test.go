package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// paysaga_http_requests_total counts the status actually written: problems
// (404, 401, 422, 500) and Echo's own errors (no route, wrong method), not the
// 200 the response held before the error handler ran.
func TestHTTPMetricsCountTheStatusWritten(t *testing.T) {
	f := newFixture(t)
	f.do(request{method: http.MethodGet, path: "/v1/payments/pay_missing", role: roleApp}).problem(http.StatusNotFound, codePaymentNotFound)
	f.do(request{method: http.MethodGet, path: "/v1/payments/pay_missing"}).problem(http.StatusUnauthorized, codeUnauthorized)
	f.do(request{method: http.MethodGet, path: "/v1/payments/pay_%00", role: roleApp}).problem(http.StatusNotFound, codeNotFound)
	f.do(request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, idemKey: "m-1",
		body: `{"order_id":"o-1","customer_id":"cus_1","currency":"KRW","amount":-5,"items":[{"producer_id":"a","amount":-5}],"payment":{"method_id":"pm_1"}}`}).
		problem(http.StatusUnprocessableEntity, codeInvalidAmount)
	f.do(request{method: http.MethodGet, path: "/v2/nothing"}).problem(http.StatusNotFound, codeNotFound)
	f.do(request{method: http.MethodPatch, path: "/v1/checkouts", role: roleApp}).problem(http.StatusMethodNotAllowed, codeMethodNotAllowed)
	// A real fault: the payments table is gone from this test's own database.
	_, err := f.pool.Exec(context.Background(), "ALTER TABLE payments RENAME TO payments_gone")
	require.NoError(t, err)
	f.do(request{method: http.MethodGet, path: "/v1/payments/pay_missing", role: roleApp}).problem(http.StatusInternalServerError, codeInternal)

	res := f.do(request{method: http.MethodGet, path: "/metrics"})
	require.Equal(t, http.StatusOK, res.Code)
	scraped := res.Body.String()
	series := func(method, route string, status int) float64 {
		re := regexp.MustCompile(fmt.Sprintf(`paysaga_http_requests_total\{method="%s",route="%s",status="%d"\} (\S+)`,
			method, regexp.QuoteMeta(route), status))
		m := re.FindStringSubmatch(scraped)
		if m == nil {
			return 0
		}
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		return v
	}
	require.EqualValues(t, 2, series("GET", "/v1/payments/:id", 404), scraped)
	require.EqualValues(t, 1, series("GET", "/v1/payments/:id", 401), scraped)
	require.EqualValues(t, 1, series("GET", "/v1/payments/:id", 500), scraped)
	require.EqualValues(t, 1, series("POST", "/v1/checkouts", 422), scraped)
	require.EqualValues(t, 1, series("PATCH", "/v1/checkouts", 405), scraped)
	require.Zero(t, series("GET", "/v1/payments/:id", 200), "no error was counted as a 200")
	require.Zero(t, series("POST", "/v1/checkouts", 200), "no error was counted as a 200")
	require.Regexp(t, `paysaga_http_requests_total\{method="GET",route="[^"]*",status="404"\} 1`, scraped, "the unrouted path")
}
