package api

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/paysaga/paysaga/api/contract"
)

// spec checks every exchange the package's tests make against openapi.yaml
// (fixture.do and serve call it), so a handler that answers a field, status,
// content type or problem code the document does not describe fails the test.
var spec = contract.MustNew(openAPI)

// TestMain runs the tests, then reports which operations they exercised.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := contract.Report(os.Stderr, "api", spec.Coverage()); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// checkExchange validates one request and its answer; routes a test adds for
// itself (/test/...) are not the API's.
func checkExchange(t testing.TB, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) {
	t.Helper()
	if strings.HasPrefix(req.URL.Path, "/test/") {
		return
	}
	if err := spec.Check(req, reqBody, status, header, body); err != nil {
		t.Errorf("openapi contract: %v", err)
	}
}
