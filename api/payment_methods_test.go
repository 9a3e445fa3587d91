package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

func TestListAndDeletePaymentMethods(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cus := f.customer("list-1")
	other := f.customer("list-2")
	card := f.cardMethod(cus)
	bank := "pm_" + uuid.NewString()
	_, err := f.q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{
		ID: bank, CustomerID: cus, Kind: "bank_account",
		BankCode: text("004"), AccountLast4: text("6789"), HolderName: text("Kim Minji"),
	})
	require.NoError(t, err)
	foreign := f.cardMethod(other)

	list := func(role, customer string) []any {
		res := f.do(request{method: http.MethodGet, path: "/v1/customers/" + customer + "/payment-methods", role: role})
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		return res.json()["data"].([]any)
	}

	data := list(roleApp, cus)
	require.Len(t, data, 2)
	byID := map[string]map[string]any{}
	for _, m := range data {
		byID[m.(map[string]any)["id"].(string)] = m.(map[string]any)
	}
	require.Equal(t, "card", byID[card]["type"])
	require.Equal(t, "active", byID[card]["status"])
	require.Equal(t, map[string]any{"brand": "shinhan", "type": "credit", "last4": "4242"}, byID[card]["card"])
	require.NotContains(t, byID[card], "bank_account")
	require.Equal(t, "bank_account", byID[bank]["type"])
	require.Equal(t, map[string]any{"bank_code": "004", "account_last4": "6789", "holder_name": "Kim Minji"}, byID[bank]["bank_account"])
	require.NotContains(t, byID[bank], "card")
	require.Len(t, list(roleOps, cus), 2, "ops may read")

	del := func(customer, method string) response {
		return f.do(request{method: http.MethodDelete, path: "/v1/customers/" + customer + "/payment-methods/" + method, role: roleApp})
	}
	res := del(cus, card)
	require.Equal(t, http.StatusNoContent, res.Code, res.Body.String())
	require.Empty(t, res.Body.String())
	data = list(roleApp, cus)
	require.Len(t, data, 1)
	require.Equal(t, bank, data[0].(map[string]any)["id"])

	del(cus, card).problem(http.StatusNotFound, codePaymentMethodNotFound)         // already deleted
	del(cus, foreign).problem(http.StatusNotFound, codePaymentMethodNotFound)      // another customer's
	del(cus, "pm_unknown").problem(http.StatusNotFound, codePaymentMethodNotFound) // never existed
	require.Len(t, list(roleApp, other), 1, "the foreign method survived")

	f.do(request{method: http.MethodGet, path: "/v1/customers/cus_nobody/payment-methods", role: roleApp}).
		problem(http.StatusNotFound, codeCustomerNotFound)
	require.Equal(t, http.StatusForbidden, f.do(request{method: http.MethodDelete, path: "/v1/customers/" + cus + "/payment-methods/" + bank, role: roleOps}).Code)
	require.Len(t, list(roleApp, cus), 1, "ops could not delete")
}

func TestCreatePaymentMethodBadInput(t *testing.T) {
	f := newFixture(t)
	cus := f.customer("pm-bad")
	path := "/v1/customers/" + cus + "/payment-methods"
	bank := func(code, number, holder string) string {
		return fmt.Sprintf(`{"type":"bank_account","bank_account":{"bank_code":%q,"account_number":%q,"holder_name":%q}}`, code, number, holder)
	}
	cases := []struct {
		name, path, body string
		status           int
		code, field      string
	}{
		{"malformed json", path, `{"type":"card",`, 400, codeMalformedJSON, ""},
		{"unknown field", path, `{"type":"card","pg_auth_key":"ak","card_number":"4242424242424242"}`, 400, codeUnknownField, "card_number"},
		{"unknown nested field", path, `{"type":"bank_account","bank_account":{"bank_code":"004","account_number":"1234567","holder_name":"K","pin":"1"}}`, 400, codeUnknownField, "pin"},
		{"missing type", path, `{"pg_auth_key":"ak"}`, 422, codeValidationFailed, "type"},
		{"unknown type", path, `{"type":"crypto"}`, 422, codeValidationFailed, "type"},
		{"card without auth key", path, `{"type":"card"}`, 422, codeValidationFailed, "pg_auth_key"},
		{"card with bank account", path, `{"type":"card","pg_auth_key":"ak","bank_account":{"bank_code":"004","account_number":"1234567","holder_name":"K"}}`, 422, codeValidationFailed, "bank_account"},
		{"bank without account", path, `{"type":"bank_account"}`, 422, codeValidationFailed, "bank_account"},
		{"bad bank code", path, bank("4", "1234567", "Kim"), 422, codeValidationFailed, "bank_account.bank_code"},
		{"letters in account", path, bank("004", "12ab5678", "Kim"), 422, codeValidationFailed, "bank_account.account_number"},
		{"short account", path, bank("004", "12345", "Kim"), 422, codeValidationFailed, "bank_account.account_number"},
		{"no holder", path, bank("004", "1234567", ""), 422, codeValidationFailed, "bank_account.holder_name"},
		{"unknown customer", "/v1/customers/cus_nobody/payment-methods", `{"type":"card","pg_auth_key":"ak"}`, 404, codeCustomerNotFound, ""},
		{"oversized body", path, `{"type":"card","pg_auth_key":"` + strings.Repeat("k", 5000) + `"}`, 413, codeBodyTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			res := f.do(request{method: http.MethodPost, path: tc.path, role: roleApp, body: tc.body, idemKey: "pm-" + strings.ReplaceAll(tc.name, " ", "-")})
			p := res.problem(tc.status, tc.code)
			if tc.field != "" {
				require.Equal(t, tc.field, p["errors"].([]any)[0].(map[string]any)["field"])
			}
			require.NotContains(t, res.Body.String(), "12ab5678", "the account number is never echoed")
			// The id this request would have registered has no workflow.
			sc := &idemScope{apiKeyID: f.keyIDs[roleApp], key: "pm-" + strings.ReplaceAll(tc.name, " ", "-"),
				requestHash: requestHash(http.MethodPost, tc.path, []byte(tc.body))}
			require.False(t, f.workflowExists(workflows.RegisterMethodID(sc.derivedID("pm_"))))
		})
	}
	require.Zero(t, f.count("payment_methods"))
	require.Zero(t, f.count("idempotency_keys"))
	require.Zero(t, f.workflowsOnQueue())
	require.NotContains(t, f.logs.String(), "12ab5678")
	require.NotContains(t, f.logs.String(), "1234567")
}

// Without a worker the registration cannot finish: the API answers 202 within
// the budget, releases the Idempotency-Key, and a retry joins the same workflow.
func TestCreatePaymentMethodPendingWithoutWorker(t *testing.T) {
	f := newFixture(t)
	cus := f.customer("pm-pending")
	path := "/v1/customers/" + cus + "/payment-methods"
	body := `{"type":"bank_account","bank_account":{"bank_code":"004","account_number":"110-234-567890","holder_name":"Kim Minji"}}`

	res := f.do(request{method: http.MethodPost, path: path, role: roleApp, body: body, idemKey: "reg-1"})
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	m := res.json()
	id := m["id"].(string)
	require.True(t, strings.HasPrefix(id, "pm_"))
	require.Equal(t, "processing", m["status"])
	require.Equal(t, "bank_account", m["type"])
	require.NotContains(t, res.Body.String(), "567890")
	require.Zero(t, f.count("idempotency_keys"), "a 202 releases the key")

	desc, err := f.tc.DescribeWorkflowExecution(context.Background(), workflows.RegisterMethodID(id), "")
	require.NoError(t, err)
	require.Equal(t, workflows.RegisterMethodName, desc.GetWorkflowExecutionInfo().GetType().GetName())
	require.Equal(t, f.cfg.TaskQueue, desc.GetWorkflowExecutionInfo().GetTaskQueue())

	res = f.do(request{method: http.MethodPost, path: path, role: roleApp, body: body, idemKey: "reg-1"})
	require.Equal(t, http.StatusAccepted, res.Code)
	require.Equal(t, id, res.json()["id"], "the retry joins the same registration")
	require.EqualValues(t, 1, f.workflowsOnQueue())

	var in workflows.RegisterMethodInput
	require.NoError(t, f.s.startedInput(context.Background(), workflows.RegisterMethodID(id), "", &in))
	require.Equal(t, workflows.RegisterMethodInput{
		MethodID: id, CustomerID: cus, Kind: "bank_account",
		BankAccount: &workflows.BankAccount{BankCode: "004", AccountNumber: "110234567890", HolderName: "Kim Minji"},
		PGs:         []string{"alpha", "beta"},
	}, in)

	require.NotContains(t, f.logs.String(), "567890", "no account number in any log line")
}
