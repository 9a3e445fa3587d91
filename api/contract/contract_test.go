package contract

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func checker(t *testing.T) *Checker {
	t.Helper()
	spec, err := os.ReadFile("../openapi.yaml")
	require.NoError(t, err)
	c, err := New(spec)
	require.NoError(t, err)
	return c
}

func jsonHeader(ct string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", ct)
	return h
}

const customer = `{"id":"cus_1","external_id":"e-1","name":"Kim","created_at":"2026-12-01T00:00:00Z"}`

func createCustomer(body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/v1/customers", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer k")
	return req
}

// A documented answer passes and counts towards coverage; an undocumented
// field, status or problem code fails.
func TestCheckFindsWhatTheDocumentDoesNotSay(t *testing.T) {
	c := checker(t)
	body := []byte(`{"external_id":"e-1","name":"Kim"}`)
	require.NoError(t, c.Check(createCustomer(string(body)), body, 201, jsonHeader("application/json"), []byte(customer)))
	require.Contains(t, c.Coverage().Covered, "createCustomer")

	extra := strings.Replace(customer, `"name"`, `"nickname":"x","name"`, 1)
	require.ErrorContains(t, c.Check(createCustomer(string(body)), body, 201, jsonHeader("application/json"), []byte(extra)), "nickname")

	require.Error(t, c.Check(createCustomer(string(body)), body, 418, jsonHeader("application/json"), []byte(customer)), "an undocumented status")

	problem := []byte(`{"type":"https://paysaga.dev/problems/payment_not_found","title":"Not Found","status":404,"code":"payment_not_found"}`)
	require.ErrorContains(t, c.Check(createCustomer(string(body)), body, 422, jsonHeader("application/problem+json"), problem), "x-problem-codes")
}

// A request the document rejects may only be refused.
func TestCheckRequiresBadRequestsToBeRefused(t *testing.T) {
	c := checker(t)
	body := []byte(`{"external_id":"e-1"}`) // no name
	require.ErrorContains(t, c.Check(createCustomer(string(body)), body, 201, jsonHeader("application/json"), []byte(customer)), "rejects")
	problem := []byte(`{"type":"https://paysaga.dev/problems/validation_failed","title":"Unprocessable Entity","status":422,"code":"validation_failed","errors":[{"field":"name","message":"is required"}]}`)
	require.NoError(t, c.Check(createCustomer(string(body)), body, 422, jsonHeader("application/problem+json"), problem))
}
