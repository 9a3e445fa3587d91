package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"
)

func TestRequestID(t *testing.T) {
	f := newFixture(t)
	res := f.do(request{method: http.MethodGet, path: "/healthz", headers: map[string]string{headerRequestID: "shop-req-42"}})
	require.Equal(t, "shop-req-42", res.Header().Get(headerRequestID))

	for _, given := range []string{"", "has space", strings.Repeat("x", 129)} {
		res := f.do(request{method: http.MethodGet, path: "/healthz", headers: map[string]string{headerRequestID: given}})
		_, err := uuid.Parse(res.Header().Get(headerRequestID))
		require.NoError(t, err, "a fresh id replaces %q", given)
	}

	lines := f.logs.Lines(t)
	require.Len(t, lines, 4)
	require.Equal(t, "shop-req-42", lines[0]["request_id"])
	for _, l := range lines {
		require.Equal(t, "request", l["message"])
		require.Equal(t, "/healthz", l["path"])
		require.EqualValues(t, 200, l["status"])
		require.Contains(t, l, "latency_ms")
		require.NotContains(t, l, "api_key_id", "no key was sent")
	}
}

func TestPanicIsAProblem(t *testing.T) {
	f := newFixture(t)
	f.e.GET("/test/panic", func(echo.Context) error { panic("secret internals") }, f.s.auth(roleApp))
	res := f.do(request{method: http.MethodGet, path: "/test/panic", role: roleApp})
	p := res.problem(http.StatusInternalServerError, codeInternal)
	require.NotContains(t, res.Body.String(), "secret internals")
	require.Contains(t, p["detail"], "X-Request-Id")
	require.Contains(t, f.logs.String(), "secret internals", "the log has what the client does not")
	require.Contains(t, f.logs.String(), `"status":500`)
}

func TestUnknownRoutesAreProblems(t *testing.T) {
	f := newFixture(t)
	f.do(request{method: http.MethodGet, path: "/v2/anything"}).problem(http.StatusNotFound, codeNotFound)
	f.do(request{method: http.MethodPatch, path: "/v1/checkouts", role: roleApp}).problem(http.StatusMethodNotAllowed, codeMethodNotAllowed)
}
