package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateCustomer(t *testing.T) {
	f := newFixture(t)

	res := f.do(request{method: http.MethodPost, path: "/v1/customers", role: roleApp, body: `{"external_id":"shop-user-1","name":"Kim Minji"}`})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	first := res.json()
	require.True(t, strings.HasPrefix(first["id"].(string), "cus_"), first["id"])
	require.Equal(t, "shop-user-1", first["external_id"])
	require.Equal(t, "Kim Minji", first["name"])
	require.NotEmpty(t, first["created_at"])

	// The same external_id is the same customer: 200, same id, name unchanged.
	res = f.do(request{method: http.MethodPost, path: "/v1/customers", role: roleApp, body: `{"external_id":"shop-user-1","name":"Other Name"}`})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	again := res.json()
	require.Equal(t, first["id"], again["id"])
	require.Equal(t, "Kim Minji", again["name"])

	res = f.do(request{method: http.MethodPost, path: "/v1/customers", role: roleApp, body: `{"external_id":"shop-user-2","name":"Lee Jun"}`})
	require.Equal(t, http.StatusCreated, res.Code)
	require.NotEqual(t, first["id"], res.json()["id"])
	require.Equal(t, 2, f.count("customers"))
}

func TestCreateCustomerBadInput(t *testing.T) {
	f := newFixture(t)
	big := `{"external_id":"x","name":"` + strings.Repeat("a", 5000) + `"}`
	cases := []struct {
		name, body, contentType string
		status                  int
		code                    string
		field                   string
	}{
		{"malformed json", `{"external_id":`, "", 400, codeMalformedJSON, ""},
		{"not an object", `["a"]`, "", 400, codeMalformedJSON, ""},
		{"trailing data", `{"external_id":"a","name":"b"} {}`, "", 400, codeMalformedJSON, ""},
		{"empty body", ``, "", 400, codeMalformedJSON, ""},
		{"unknown field", `{"external_id":"a","name":"b","email":"x@y"}`, "", 400, codeUnknownField, "email"},
		{"wrong type", `{"external_id":42,"name":"b"}`, "", 400, codeInvalidFieldType, "external_id"},
		{"missing external_id", `{"name":"b"}`, "", 422, codeValidationFailed, "external_id"},
		{"missing name", `{"external_id":"a"}`, "", 422, codeValidationFailed, "name"},
		{"control character", `{"external_id":"a\u0000b","name":"b"}`, "", 422, codeValidationFailed, "external_id"},
		{"too long", `{"external_id":"` + strings.Repeat("x", 129) + `","name":"b"}`, "", 422, codeValidationFailed, "external_id"},
		{"oversized body", big, "", 413, codeBodyTooLarge, ""},
		{"form body", `external_id=a&name=b`, "application/x-www-form-urlencoded", 415, codeUnsupportedMediaType, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			h := map[string]string{}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			r := request{method: http.MethodPost, path: "/v1/customers", role: roleApp, body: tc.body, headers: h}
			if tc.body == "" {
				r.headers["Content-Type"] = "application/json"
			}
			p := f.do(r).problem(tc.status, tc.code)
			if tc.field != "" {
				errs := p["errors"].([]any)
				require.Equal(t, tc.field, errs[0].(map[string]any)["field"])
			}
		})
	}
	require.Zero(t, f.count("customers"))
}
