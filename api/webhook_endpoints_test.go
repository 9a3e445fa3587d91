package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
)

// Endpoints are app-supplied URLs that paysaga will POST to: internal
// addresses are refused (SSRF), unless allowed for development.
func TestWebhookEndpointRefusesInternalAddresses(t *testing.T) {
	f := newFixture(t)
	for _, u := range []string{
		"http://127.0.0.1:5432/", "http://localhost/x", "http://10.0.0.7/hook", "http://169.254.169.254/latest/meta-data",
		"http://[::1]/x", "http://[fd00::1]/x", "http://100.64.0.1/x", "http://app.localhost/x",
	} {
		res := f.do(request{method: http.MethodPost, path: "/v1/webhook-endpoints", role: roleApp, body: fmt.Sprintf(`{"url":%q}`, u)})
		res.problem(http.StatusUnprocessableEntity, codeValidationFailed)
	}
	require.Zero(t, f.count("webhook_endpoints"))

	res := f.do(request{method: http.MethodPost, path: "/v1/webhook-endpoints", role: roleApp, body: `{"url":"https://app.example/paysaga"}`})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())

	dev := newFixture(t, func(c *config.Config) { c.WebhookAllowInternal = true })
	res = dev.do(request{method: http.MethodPost, path: "/v1/webhook-endpoints", role: roleApp, body: `{"url":"http://127.0.0.1:9/x"}`})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
}
