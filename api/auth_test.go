package api

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
)

// routes lists every authenticated route with the roles it admits.
var authRoutes = []struct {
	method, path string
	roles        []string
}{
	{http.MethodPost, "/v1/customers", []string{roleApp}},
	{http.MethodPost, "/v1/customers/cus_x/payment-methods", []string{roleApp}},
	{http.MethodGet, "/v1/customers/cus_x/payment-methods", []string{roleApp, roleOps}},
	{http.MethodDelete, "/v1/customers/cus_x/payment-methods/pm_x", []string{roleApp}},
	{http.MethodPost, "/v1/checkouts", []string{roleApp}},
	{http.MethodGet, "/v1/payments", []string{roleApp, roleOps}},
	{http.MethodGet, "/v1/payments/pay_x", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/payments/pay_x/cancel", []string{roleApp}},
	{http.MethodPost, "/v1/payments/pay_x/refunds", []string{roleApp}},
	{http.MethodPost, "/v1/identity-verifications", []string{roleApp}},
	{http.MethodGet, "/v1/identity-verifications/idv_x", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/identity-verifications/idv_x/confirm", []string{roleApp}},
	{http.MethodGet, "/v1/wallets/cus_x", []string{roleApp, roleOps}},
	{http.MethodGet, "/v1/points/cus_x", []string{roleApp, roleOps}},
	{http.MethodGet, "/v1/reports/safeguarding", []string{roleFinance, roleOps}},
	{http.MethodPost, "/v1/safeguard-balances", []string{roleFinance}},
	{http.MethodPost, "/v1/benefit-rule-sets", []string{roleFinance}},
	{http.MethodGet, "/v1/benefit-rule-sets", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/benefit-rule-sets/rule_x", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/wallets/cus_x/transactions", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/wallets/cus_x/topups", []string{roleApp}},
	{http.MethodGet, "/v1/wallets/cus_x/topups/tu_x", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/wallets/cus_x/topups/tu_x/retry-reversal", []string{roleOps}},
	{http.MethodGet, "/v1/wallet-topups/stuck", []string{roleOps}},
	{http.MethodPost, "/v1/wallets/cus_x/refunds", []string{roleApp}},
	{http.MethodGet, "/v1/wallets/cus_x/refunds/wr_x", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/memberships", []string{roleApp}},
	{http.MethodGet, "/v1/memberships/mem_x", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/memberships/mem_x/pause", []string{roleApp}},
	{http.MethodPost, "/v1/memberships/mem_x/resume", []string{roleApp}},
	{http.MethodPost, "/v1/memberships/mem_x/cancel", []string{roleApp}},
	{http.MethodPost, "/v1/producers", []string{roleFinance}},
	{http.MethodGet, "/v1/producers", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/producers/prd_x/balance", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/producers/prd_x/statements", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/producers/prd_x/settlements", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/producers/prd_x/settlements/po_x", []string{roleFinance, roleOps}},
	{http.MethodPost, "/v1/producers/prd_x/hold", []string{roleFinance}},
	{http.MethodPost, "/v1/producers/prd_x/release", []string{roleFinance}},
	{http.MethodGet, "/v1/commission-invoices", []string{roleFinance}},
	{http.MethodGet, "/v1/settlement-deadlines", []string{roleFinance, roleOps}},
	{http.MethodPost, "/v1/payments/pay_x/items/prd_x/delivered", []string{roleApp}},
	{http.MethodPost, "/v1/payments/pay_x/items/prd_x/confirm", []string{roleApp}},
	{http.MethodPost, "/v1/payout-schedules", []string{roleFinance}},
	{http.MethodGet, "/v1/payout-schedules", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/payout-schedules/sch_x", []string{roleFinance, roleOps}},
	{http.MethodPatch, "/v1/payout-schedules/sch_x", []string{roleFinance}},
	{http.MethodDelete, "/v1/payout-schedules/sch_x", []string{roleFinance}},
	{http.MethodPost, "/v1/payout-schedules/sch_x/trigger", []string{roleFinance}},
	{http.MethodGet, "/v1/payout-runs", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/payout-runs/run_x", []string{roleFinance, roleOps}},
	{http.MethodPost, "/v1/payouts/po_x/approve", []string{roleFinance}},
	{http.MethodGet, "/v1/events", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/webhook-endpoints", []string{roleApp}},
	{http.MethodGet, "/v1/webhook-endpoints", []string{roleApp, roleOps}},
	{http.MethodDelete, "/v1/webhook-endpoints/we_x", []string{roleApp}},
	{http.MethodPost, "/v1/webhook-endpoints/we_x/rotate", []string{roleApp}},
	{http.MethodGet, "/v1/events/evt_x/attempts", []string{roleApp, roleOps}},
	{http.MethodGet, "/v1/event-deliveries", []string{roleOps}},
	{http.MethodGet, "/v1/event-deliveries/backlog", []string{roleOps}},
	{http.MethodPost, "/v1/events/evt_x/deliveries/we_x/resend", []string{roleOps}},
	{http.MethodGet, "/v1/webhook-inbox", []string{roleOps}},
	{http.MethodPost, "/v1/webhook-inbox/wh_x/redeliver", []string{roleOps}},
	{http.MethodPost, "/v1/reconciliations", []string{roleFinance}},
	{http.MethodGet, "/v1/reconciliations", []string{roleFinance, roleOps}},
	{http.MethodGet, "/v1/reconciliations/recon_x", []string{roleFinance, roleOps}},
	{http.MethodPost, "/v1/customers/cus_x/pin", []string{roleApp}},
	{http.MethodPost, "/v1/customers/cus_x/pin/change", []string{roleApp}},
	{http.MethodPost, "/v1/customers/cus_x/pin/reset", []string{roleApp}},
	{http.MethodPost, "/v1/customers/cus_x/pin/verify", []string{roleApp}},
	{http.MethodPut, "/v1/customers/cus_x/cash-receipt-preference", []string{roleApp}},
	{http.MethodGet, "/v1/customers/cus_x/cash-receipt-preference", []string{roleApp, roleOps}},
	{http.MethodPost, "/v1/risk/rules", []string{roleOps}},
	{http.MethodGet, "/v1/risk/rules", []string{roleOps}},
	{http.MethodPatch, "/v1/risk/rules/rule_x", []string{roleOps}},
	{http.MethodPost, "/v1/risk/blocklist", []string{roleOps}},
	{http.MethodGet, "/v1/risk/blocklist", []string{roleOps}},
	{http.MethodDelete, "/v1/risk/blocklist/bl_x", []string{roleOps}},
	{http.MethodGet, "/v1/audit", []string{roleOps}},
}

// signedRoutes are authenticated by a provider's signature instead of an API key
// (their tests: e2e/webhooks_test.go).
var signedRoutes = []string{"POST /v1/webhooks/:"}

// The table above is every /v1 route: a new route must declare its roles here.
func TestAuthTableCoversEveryRoute(t *testing.T) {
	f := newFixture(t)
	ids := regexp.MustCompile(`/(cus|pm|pay|idv|tu|prd|sch|run|po|we|evt|recon|wh|rule|bl|wr|mem)_x`)
	listed := map[string]bool{}
	for _, r := range signedRoutes {
		listed[r] = true
	}
	for _, rt := range authRoutes {
		listed[rt.method+" "+ids.ReplaceAllString(rt.path, "/:")] = true
	}
	params := regexp.MustCompile(`/:[a-z_]+`)
	for _, r := range f.e.Routes() {
		if strings.HasPrefix(r.Path, "/v1/") {
			require.True(t, listed[r.Method+" "+params.ReplaceAllString(r.Path, "/:")], "%s %s is missing from authRoutes", r.Method, r.Path)
		}
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	revoked := "sk_test_revoked_key_0001"
	require.NoError(t, EnsureAPIKey(context.Background(), f.q, roleApp, "revoked", revoked))
	_, err := f.pool.Exec(context.Background(), "UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1", HashKey(revoked))
	require.NoError(t, err)

	for _, rt := range authRoutes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			f := f.in(t)
			for name, header := range map[string]string{
				"no header":    "",
				"unknown key":  "Bearer sk_test_not_a_key",
				"revoked key":  "Bearer " + revoked,
				"basic scheme": "Basic " + f.keys[roleApp],
				"bare key":     f.keys[roleApp],
				"empty bearer": "Bearer ",
			} {
				h := map[string]string{}
				if header != "" {
					h["Authorization"] = header
				}
				res := f.do(request{method: rt.method, path: rt.path, body: `{}`, headers: h, idemKey: "k1"})
				res.problem(http.StatusUnauthorized, codeUnauthorized)
				require.Contains(t, res.Header().Get("WWW-Authenticate"), "Bearer", name)
			}
			for _, role := range []string{roleApp, roleFinance, roleOps} {
				res := f.do(request{method: rt.method, path: rt.path, role: role, body: `{}`, idemKey: "k1"})
				if contains(rt.roles, role) {
					require.NotEqual(t, http.StatusForbidden, res.Code, "%s: %s", role, res.Body.String())
					require.NotEqual(t, http.StatusUnauthorized, res.Code, "%s: %s", role, res.Body.String())
				} else {
					res.problem(http.StatusForbidden, codeForbidden)
				}
			}
		})
	}
	require.Zero(t, f.count("customers"))
	require.Zero(t, f.count("idempotency_keys"))
	require.Zero(t, f.workflowsOnQueue())
}

func TestHealthNeedsNoAuth(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		require.Equal(t, http.StatusOK, f.do(request{method: http.MethodGet, path: path}).Code, path)
	}
}

func TestEnsureAPIKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	key := "sk_dev_app_0123456789"
	require.NoError(t, EnsureAPIKey(ctx, f.q, roleApp, "dev app", key))
	require.NoError(t, EnsureAPIKey(ctx, f.q, roleApp, "dev app", key), "a second call changes nothing")
	require.Equal(t, 4, f.count("api_keys"), "the fixture's three keys and this one")

	require.ErrorContains(t, EnsureAPIKey(ctx, f.q, roleOps, "dev app", key), `already stored with role "app"`)
	require.ErrorContains(t, EnsureAPIKey(ctx, f.q, "admin", "x", "sk_dev_admin_0123"), "unknown role")
	require.ErrorContains(t, EnsureAPIKey(ctx, f.q, roleApp, "x", "short"), "at least 8")

	row, err := f.q.GetAPIKeyByHash(ctx, HashKey(key))
	require.NoError(t, err)
	require.Equal(t, roleApp, row.Role)
	require.Equal(t, "sk_dev_a", row.Prefix)

	res := f.do(request{method: http.MethodGet, path: "/v1/payments/pay_none", headers: map[string]string{"Authorization": "Bearer " + key}})
	res.problem(http.StatusNotFound, codePaymentNotFound)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRateLimitIsPerKey(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.RateLimit = 1 }) // burst 2
	get := func(role string) response {
		return f.do(request{method: http.MethodGet, path: "/v1/payments/pay_none", role: role})
	}
	get(roleApp).problem(http.StatusNotFound, codePaymentNotFound)
	get(roleApp).problem(http.StatusNotFound, codePaymentNotFound)
	limited := get(roleApp)
	limited.problem(http.StatusTooManyRequests, codeRateLimited)
	require.Equal(t, "1", limited.Header().Get("Retry-After"))
	get(roleOps).problem(http.StatusNotFound, codePaymentNotFound) // another key has its own budget
}
