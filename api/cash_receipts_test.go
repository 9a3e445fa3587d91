package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The preference round-trips with only the last four digits shown; the number
// is stored sealed (not in clear anywhere in the row); none clears it; bad
// numbers are 422 with a stable code and change nothing.
func TestCashReceiptPreference(t *testing.T) {
	f := newFixture(t)
	cus := f.customer("crp")
	path := "/v1/customers/" + cus + "/cash-receipt-preference"
	put := func(body string) response {
		return f.do(request{method: http.MethodPut, path: path, role: roleApp, body: body})
	}

	got := f.do(request{method: http.MethodGet, path: path, role: roleOps})
	require.Equal(t, http.StatusOK, got.Code, got.Body.String())
	require.Equal(t, "none", got.json()["type"], "no preference: voluntary self-issue")

	res := put(`{"type":"income_deduction","phone_number":"010-1234-5678"}`)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "income_deduction", res.json()["type"])
	require.Equal(t, "5678", res.json()["identity_last4"])
	require.NotContains(t, res.Body.String(), "01012345678")
	var clear int
	require.NoError(t, f.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM customer_cash_receipt_preferences WHERE customer_id = $1 AND position('01012345678' in encode(identity_sealed, 'escape')) = 0`, cus).Scan(&clear))
	require.Equal(t, 1, clear, "stored sealed, not in clear")

	res = put(`{"type":"proof","business_number":"220-81-62517"}`)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "proof", res.json()["type"])
	require.Equal(t, "2517", res.json()["identity_last4"])

	for _, bad := range []struct{ body, code, field string }{
		{`{"type":"income_deduction","phone_number":"02-123-4567"}`, codeInvalidPhoneNumber, "phone_number"},
		{`{"type":"income_deduction","phone_number":"010-12345"}`, codeInvalidPhoneNumber, "phone_number"},
		{`{"type":"proof","business_number":"123-45-67890"}`, codeInvalidBusinessRegistration, "business_number"},
		{`{"type":"proof"}`, codeInvalidBusinessRegistration, "business_number"},
		{`{"type":"cash"}`, codeValidationFailed, "type"},
		{`{"type":"none","phone_number":"010-1234-5678"}`, codeValidationFailed, "type"},
	} {
		p := put(bad.body).problem(http.StatusUnprocessableEntity, bad.code)
		require.Equal(t, bad.field, p["errors"].([]any)[0].(map[string]any)["field"], "%s: %v", bad.body, p)
	}
	got = f.do(request{method: http.MethodGet, path: path, role: roleApp})
	require.Equal(t, "proof", got.json()["type"], "the bad requests changed nothing")

	res = put(`{"type":"none"}`)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Nil(t, res.json()["identity_last4"])
	require.Zero(t, f.count("customer_cash_receipt_preferences"))
}
