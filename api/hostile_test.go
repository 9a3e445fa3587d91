package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/workflows"
)

// The requests of issue 10, as an outsider sent them: each is a 4xx problem now,
// and none writes a row or starts a workflow.
func TestHostileRequestsChangeNothing(t *testing.T) {
	f := newFixture(t)
	paymentID, customer := f.seedPayment(workflows.StatusSucceeded)
	method := f.cardMethod(customer)
	rows := rowCounter(t, f)
	before := rows(t)
	checkout := func(amounts string) string {
		return fmt.Sprintf(`{"order_id":%q,"customer_id":%q,"currency":"KRW",%s,"items":[{"producer_id":"a","amount":15000}],"payment":{"method_id":%q}}`,
			unique("o"), customer, amounts, method)
	}
	noCT := map[string]string{"Content-Type": ""}
	cases := []struct {
		name   string
		r      request
		status int
		code   string
	}{
		{"NUL in a payment id", request{method: http.MethodGet, path: "/v1/payments/pay_%00", role: roleApp}, 404, codeNotFound},
		{"NUL in a refund's payment id", request{method: http.MethodPost, path: "/v1/payments/pay_%00/refunds", role: roleApp, idemKey: "h-1", body: `{"amount":1}`}, 404, codeNotFound},
		{"NUL in a schedule id (was 503)", request{method: http.MethodGet, path: "/v1/payout-schedules/%00", role: roleFinance}, 404, codeNotFound},
		{"invalid UTF-8 in a wallet id", request{method: http.MethodGet, path: "/v1/wallets/%C3%28", role: roleApp}, 404, codeNotFound},
		{"NUL in an event filter", request{method: http.MethodGet, path: "/v1/events?subject_id=%00", role: roleApp}, 400, codeInvalidQueryParameter},
		{"duplicate amount", request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, idemKey: "h-2", body: checkout(`"amount":1,"amount":15000`)}, 400, codeDuplicateKey},
		{"duplicate customer_id", request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, idemKey: "h-3",
			body: `{"customer_id":"cus_other",` + checkout(`"amount":15000`)[1:]}, 400, codeDuplicateKey},
		{"checkout without Content-Type", request{method: http.MethodPost, path: "/v1/checkouts", role: roleApp, idemKey: "h-4", body: checkout(`"amount":15000`), headers: noCT}, 415, codeUnsupportedMediaType},
		{"customer without Content-Type", request{method: http.MethodPost, path: "/v1/customers", role: roleApp, body: `{"external_id":"e-1","name":"n"}`, headers: noCT}, 415, codeUnsupportedMediaType},
		{"invalid UTF-8 in a name", request{method: http.MethodPost, path: "/v1/customers", role: roleApp, body: "{\"external_id\":\"e-2\",\"name\":\"\xc3\x28\"}"}, 400, codeInvalidUTF8},
		{"invalid UTF-8 in the Idempotency-Key", request{method: http.MethodPost, path: "/v1/payments/" + paymentID + "/refunds", role: roleApp,
			body: `{"amount":1}`, headers: map[string]string{headerIdempotencyKey: "k-\xc3\x28"}}, 400, codeIdempotencyKeyInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.in(t).do(tc.r).problem(tc.status, tc.code)
		})
	}
	require.Equal(t, before, rows(t), "no row written")
	require.Zero(t, f.workflowsOnQueue(), "no workflow started")
}
