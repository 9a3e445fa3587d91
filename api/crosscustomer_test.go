package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// crossCase is what customer B's key gets for a route naming customer A's objects.
type crossCase struct {
	path, body string
	// status and code B gets: 404 for A's objects (a scoped key learns nothing,
	// not even that the id exists), 403 for routes no customer key may use.
	status int
	code   string
	// emptyList: B gets 200 with no data (a list filtered to A's objects).
	emptyList bool
	// ownerOK: A's own key gets 200 on the same request (reads only).
	ownerOK bool
}

// filterRoutes take no id in the path but filter by one in the query.
var filterRoutes = []string{"GET /v1/events", "GET /v1/payments"}

// bodyRoutes name a customer in their body.
var bodyRoutes = []string{"POST /v1/checkouts", "POST /v1/identity-verifications", "POST /v1/memberships"}

// Every route of the router that takes an id (path) or a filter is exercised
// with customer B's key against customer A's objects. The list of routes comes
// from the router: a route added without a case here fails this test.
func TestCrossCustomerMatrix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := seedCustomerObjects(f)
	customerB := f.customer(unique("b"))
	keyA, err := NewAPIKey(ctx, f.q, roleApp, "A's app", a.customer)
	require.NoError(t, err)
	keyB, err := NewAPIKey(ctx, f.q, roleApp, "B's app", customerB)
	require.NoError(t, err)

	notFound := func(path, body, code string, ownerOK bool) crossCase {
		return crossCase{path: path, body: body, status: http.StatusNotFound, code: code, ownerOK: ownerOK}
	}
	forbidden := func(path, body string) crossCase {
		return crossCase{path: path, body: body, status: http.StatusForbidden, code: codeForbidden}
	}
	cus, pay := "/v1/customers/"+a.customer, "/v1/payments/"+a.payment
	cases := map[string][]crossCase{
		"GET /v1/customers/:id/payment-methods":                         {notFound(cus+"/payment-methods", "", codeCustomerNotFound, true)},
		"POST /v1/customers/:id/payment-methods":                        {notFound(cus+"/payment-methods", `{"type":"card","pg_auth_key":"ak_x"}`, codeCustomerNotFound, false)},
		"DELETE /v1/customers/:id/payment-methods/:method_id":           {notFound(cus+"/payment-methods/"+a.method, "", codeCustomerNotFound, false)},
		"GET /v1/payments/:id":                                          {notFound(pay, "", codePaymentNotFound, true)},
		"POST /v1/payments/:id/cancel":                                  {notFound(pay+"/cancel", `{}`, codePaymentNotFound, false)},
		"POST /v1/payments/:id/refunds":                                 {notFound(pay+"/refunds", `{"amount":1000}`, codePaymentNotFound, false)},
		"GET /v1/identity-verifications/:id":                            {notFound("/v1/identity-verifications/"+a.verification, "", codeVerificationNotFound, true)},
		"POST /v1/identity-verifications/:id/confirm":                   {notFound("/v1/identity-verifications/"+a.verification+"/confirm", `{"code":"123456"}`, codeVerificationNotFound, false)},
		"GET /v1/wallets/:customer_id":                                  {notFound("/v1/wallets/"+a.customer, "", codeCustomerNotFound, true)},
		"GET /v1/points/:customer_id":                                   {notFound("/v1/points/"+a.customer, "", codeCustomerNotFound, true)},
		"GET /v1/wallets/:customer_id/transactions":                     {notFound("/v1/wallets/"+a.customer+"/transactions", "", codeCustomerNotFound, true)},
		"POST /v1/wallets/:customer_id/topups":                          {notFound("/v1/wallets/"+a.customer+"/topups", fmt.Sprintf(`{"method_id":%q,"amount":1000,"currency":"KRW"}`, a.method), codeCustomerNotFound, false)},
		"GET /v1/wallets/:customer_id/topups/:topup_id":                 {notFound("/v1/wallets/"+a.customer+"/topups/"+a.topUp, "", codeTopUpNotFound, true)},
		"POST /v1/wallets/:customer_id/refunds":                         {notFound("/v1/wallets/"+a.customer+"/refunds", fmt.Sprintf(`{"method_id":%q,"currency":"KRW"}`, a.method), codeCustomerNotFound, false)},
		"GET /v1/wallets/:customer_id/refunds/:refund_id":               {notFound("/v1/wallets/"+a.customer+"/refunds/"+a.walletRefund, "", codeWalletRefundNotFound, true)},
		"POST /v1/memberships":                                          {notFound("/v1/memberships", fmt.Sprintf(`{"customer_id":%q,"plan_id":"plus","method_id":%q}`, a.customer, a.method), codeCustomerNotFound, false)},
		"GET /v1/memberships/:id":                                       {notFound("/v1/memberships/"+a.membership, "", codeMembershipNotFound, true)},
		"POST /v1/memberships/:id/pause":                                {notFound("/v1/memberships/"+a.membership+"/pause", "", codeMembershipNotFound, false)},
		"POST /v1/memberships/:id/resume":                               {notFound("/v1/memberships/"+a.membership+"/resume", "", codeMembershipNotFound, false)},
		"POST /v1/memberships/:id/cancel":                               {notFound("/v1/memberships/"+a.membership+"/cancel", "", codeMembershipNotFound, false)},
		"POST /v1/wallets/:customer_id/topups/:topup_id/retry-reversal": {forbidden("/v1/wallets/"+a.customer+"/topups/"+a.topUp+"/retry-reversal", "")},
		"POST /v1/customers/:id/pin":                                    {notFound(cus+"/pin", `{"pin":"123456"}`, codeCustomerNotFound, false)},
		"POST /v1/customers/:id/pin/change":                             {notFound(cus+"/pin/change", `{"current_pin":"123456","new_pin":"654321"}`, codeCustomerNotFound, false)},
		"POST /v1/customers/:id/pin/reset":                              {notFound(cus+"/pin/reset", `{"identity_verification_id":"idv_x","new_pin":"654321"}`, codeCustomerNotFound, false)},
		"POST /v1/customers/:id/pin/verify":                             {notFound(cus+"/pin/verify", `{"pin":"123456"}`, codeCustomerNotFound, false)},
		"PUT /v1/customers/:id/cash-receipt-preference":                 {notFound(cus+"/cash-receipt-preference", `{"type":"income_deduction","phone_number":"010-1234-5678"}`, codeCustomerNotFound, false)},
		"GET /v1/customers/:id/cash-receipt-preference":                 {notFound(cus+"/cash-receipt-preference", "", codeCustomerNotFound, true)},
		"PATCH /v1/risk/rules/:id":                                      {forbidden("/v1/risk/rules/rule_x", `{"enabled":false}`)},
		"DELETE /v1/risk/blocklist/:id":                                 {forbidden("/v1/risk/blocklist/bl_x", "")},
		"GET /v1/events/:id/attempts":                                   {notFound("/v1/events/"+a.event+"/attempts", "", codeEventNotFound, true)},
		"POST /v1/payments/:id/items/:producer_id/delivered":            {notFound(pay+"/items/p/delivered", "", codePaymentNotFound, false)},
		"POST /v1/payments/:id/items/:producer_id/confirm":              {notFound(pay+"/items/p/confirm", "", codePaymentNotFound, false)},
		"GET /v1/payments": {
			{path: "/v1/payments?customer_id=" + a.customer, emptyList: true, ownerOK: true},
			{path: "/v1/payments?order_id=" + a.order, emptyList: true, ownerOK: true},
			{path: "/v1/payments", emptyList: true, ownerOK: true},
		},
		"POST /v1/events/:id/deliveries/:endpoint_id/resend": {forbidden("/v1/events/"+a.event+"/deliveries/"+a.endpoint+"/resend", "")},
		"POST /v1/webhook-inbox/:id/redeliver":               {forbidden("/v1/webhook-inbox/1/redeliver", "")},
		"GET /v1/events": {
			{path: "/v1/events?subject_id=" + a.payment, emptyList: true, ownerOK: true},
			{path: "/v1/events?subject_id=" + a.topUp, emptyList: true, ownerOK: true},
			{path: "/v1/events", emptyList: true, ownerOK: true},
		},
		"POST /v1/checkouts": {notFound("/v1/checkouts", fmt.Sprintf(`{"order_id":%q,"customer_id":%q,"currency":"KRW","amount":1000,"items":[{"producer_id":"p","amount":1000}],"payment":{"method_id":%q}}`,
			unique("o"), a.customer, a.method), codeCustomerNotFound, false)},
		"POST /v1/identity-verifications": {notFound("/v1/identity-verifications", fmt.Sprintf(`{"customer_id":%q,"name":"홍길동","phone":"01012345678","birth_date":"19900101"}`, a.customer), codeCustomerNotFound, false)},

		// Platform objects (producers, payouts, schedules, reconciliations,
		// webhook endpoints): no customer's key may touch them at all.
		"GET /v1/producers/:id/balance":                    {forbidden("/v1/producers/prd_x/balance", "")},
		"GET /v1/producers/:id/statements":                 {forbidden("/v1/producers/prd_x/statements", "")},
		"GET /v1/producers/:id/settlements":                {forbidden("/v1/producers/prd_x/settlements", "")},
		"GET /v1/producers/:id/settlements/:settlement_id": {forbidden("/v1/producers/prd_x/settlements/payout-prd_x-2026-12", "")},
		"POST /v1/producers/:id/hold":                      {forbidden("/v1/producers/prd_x/hold", `{"reason":"dispute"}`)},
		"POST /v1/producers/:id/release":                   {forbidden("/v1/producers/prd_x/release", "")},
		"GET /v1/payout-schedules/:id":                     {forbidden("/v1/payout-schedules/sch_x", "")},
		"PATCH /v1/payout-schedules/:id":                   {forbidden("/v1/payout-schedules/sch_x", `{"paused":true}`)},
		"DELETE /v1/payout-schedules/:id":                  {forbidden("/v1/payout-schedules/sch_x", "")},
		"POST /v1/payout-schedules/:id/trigger":            {forbidden("/v1/payout-schedules/sch_x/trigger", "")},
		"GET /v1/payout-runs/:id":                          {forbidden("/v1/payout-runs/run_x", "")},
		"GET /v1/benefit-rule-sets/:version":               {forbidden("/v1/benefit-rule-sets/1", "")},
		"POST /v1/payouts/:id/approve":                     {forbidden("/v1/payouts/po_x/approve", "")},
		"GET /v1/reconciliations/:id":                      {forbidden("/v1/reconciliations/recon_x", "")},
		"DELETE /v1/webhook-endpoints/:id":                 {forbidden("/v1/webhook-endpoints/"+a.endpoint, "")},
		"POST /v1/webhook-endpoints/:id/rotate":            {forbidden("/v1/webhook-endpoints/"+a.endpoint+"/rotate", "")},
		"POST /v1/webhook-endpoints":                       {forbidden("/v1/webhook-endpoints", `{"url":"https://app.example/hook"}`)},
		"GET /v1/webhook-endpoints":                        {forbidden("/v1/webhook-endpoints", "")},
		"POST /v1/webhooks/:provider":                      nil, // signed by the provider, no API key: e2e/webhooks_test.go
	}

	for _, r := range f.e.Routes() {
		name := r.Method + " " + r.Path
		if !strings.HasPrefix(r.Path, "/v1/") || (!strings.Contains(r.Path, ":") && !slices.Contains(filterRoutes, name) && !slices.Contains(bodyRoutes, name)) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			cs, listed := cases[name]
			require.True(t, listed, "%s takes an id or a filter: add it to the cross-customer matrix", name)
			for i, c := range cs {
				f := f.in(t)
				auth := func(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }
				res := f.do(request{method: r.Method, path: c.path, body: c.body, headers: auth(keyB), idemKey: fmt.Sprintf("cross-%s-%d", uuid.NewString(), i)})
				if c.emptyList {
					require.Equal(t, http.StatusOK, res.Code, res.Body.String())
					require.Empty(t, res.json()["data"], "B's key lists none of A's events: %s", c.path)
				} else {
					res.problem(c.status, c.code)
				}
				if c.ownerOK {
					res = f.do(request{method: r.Method, path: c.path, headers: auth(keyA)})
					require.Equal(t, http.StatusOK, res.Code, res.Body.String())
					if c.emptyList {
						require.NotEmpty(t, res.json()["data"], "A's key lists its own events: %s", c.path)
					}
				}
			}
		})
	}
	res := f.do(request{method: http.MethodPost, path: "/v1/customers", body: `{"external_id":"x","name":"y"}`,
		headers: map[string]string{"Authorization": "Bearer " + keyA}})
	res.problem(http.StatusForbidden, codeForbidden)
	require.Zero(t, f.workflowsOnQueue(), "no workflow started for another customer's object")
}

// customerObjects are one customer's objects of every kind a route can name.
type customerObjects struct {
	customer, method, payment, order, verification, topUp, event, endpoint string
	membership, walletRefund                                               string
}

func seedCustomerObjects(f *fixture) customerObjects {
	f.t.Helper()
	ctx := context.Background()
	var o customerObjects
	o.payment, o.customer = f.seedPayment(workflows.StatusSucceeded)
	o.method = f.cardMethod(o.customer)
	require.NoError(f.t, f.pool.QueryRow(ctx, "SELECT order_id FROM payments WHERE id = $1", o.payment).Scan(&o.order))
	o.verification, o.topUp = "idv_"+unique("a"), "tu_"+unique("a")
	_, err := f.pool.Exec(ctx, `INSERT INTO identity_verifications (id, customer_id, seq, status, max_attempts, expires_at)
		VALUES ($1, $2, 1, 'pending', 5, now() + interval '3 minutes')`, o.verification, o.customer)
	require.NoError(f.t, err)
	_, err = f.pool.Exec(ctx, `INSERT INTO wallet_topups (id, customer_id, method_id, currency, amount, status, workflow_id)
		VALUES ($1, $2, $3, 'KRW', 1000, 'succeeded', $4)`, o.topUp, o.customer, o.method, "topup-"+o.topUp)
	require.NoError(f.t, err)
	o.membership, o.walletRefund = "mem_"+unique("a"), "wr_"+unique("a")
	_, err = f.pool.Exec(ctx, `INSERT INTO memberships (id, customer_id, plan_id, tier, method_id, currency, price, status, anchor_day, schedule_id)
		VALUES ($1, $2, 'plus', 'gold', $3, 'KRW', 9900, 'active', 1, $4)`, o.membership, o.customer, o.method, workflows.MembershipScheduleID(o.membership))
	require.NoError(f.t, err)
	_, err = f.pool.Exec(ctx, `INSERT INTO wallet_refunds (id, customer_id, method_id, currency, amount, fee, status, workflow_id)
		VALUES ($1, $2, $3, 'KRW', 1000, 0, 'failed', $4)`, o.walletRefund, o.customer, o.method, workflows.WalletRefundID(o.walletRefund))
	require.NoError(f.t, err)
	for _, subject := range []string{o.payment, o.topUp} {
		require.NoError(f.t, f.q.InsertEvent(ctx, db.InsertEventParams{ID: "evt_" + uuid.NewString(), Type: "payment.succeeded",
			Key: "seed:" + subject, SubjectID: subject, Data: []byte(`{}`)}))
	}
	require.NoError(f.t, f.pool.QueryRow(ctx, "SELECT id FROM events WHERE subject_id = $1", o.payment).Scan(&o.event))
	res := f.do(request{method: http.MethodPost, path: "/v1/webhook-endpoints", role: roleApp, body: `{"url":"https://app.example/hook"}`})
	require.Equal(f.t, http.StatusCreated, res.Code, res.Body.String())
	o.endpoint = res.json()["id"].(string)
	return o
}
