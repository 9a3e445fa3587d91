package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/workflows"
)

func (f *fixture) rowsOf(table, customerID string) int {
	f.t.Helper()
	var n int
	require.NoError(f.t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table+" WHERE customer_id = $1", customerID).Scan(&n))
	return n
}

// Bad membership requests are 4xx problems that create nothing and start no
// schedule or workflow.
func TestMembershipBadInputChangesNothing(t *testing.T) {
	f := newFixture(t)
	cus := f.customer(unique("mem"))
	card, bank := f.cardMethod(cus), f.bankMethod(cus)
	body := func(plan, method string) string {
		return fmt.Sprintf(`{"customer_id":%q,"plan_id":%q,"method_id":%q}`, cus, plan, method)
	}
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"unknown plan", body("platinum", card), http.StatusUnprocessableEntity, codeUnknownPlan},
		{"a bank account", body("plus", bank), http.StatusUnprocessableEntity, codeUnknownPaymentMethod},
		{"another customer's method", body("plus", f.cardMethod(f.customer(unique("other")))), http.StatusUnprocessableEntity, codeUnknownPaymentMethod},
		{"no plan", fmt.Sprintf(`{"customer_id":%q,"method_id":%q}`, cus, card), http.StatusUnprocessableEntity, codeValidationFailed},
		{"unknown field", fmt.Sprintf(`{"customer_id":%q,"plan_id":"plus","method_id":%q,"price":1}`, cus, card), http.StatusBadRequest, codeUnknownField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			f.do(request{method: http.MethodPost, path: "/v1/memberships", role: roleApp, body: c.body}).problem(c.status, c.code)
		})
	}
	require.Zero(t, f.rowsOf("memberships", cus))

	// A customer with a live membership cannot subscribe twice; a canceled one
	// cannot be paused or resumed.
	live, ended := "mem_"+unique("live"), "mem_"+unique("ended")
	for _, m := range []struct{ id, status string }{{live, "active"}, {ended, "canceled"}} {
		owner := cus
		if m.status == "canceled" {
			owner = f.customer(unique("ended"))
		}
		_, err := f.pool.Exec(context.Background(), `INSERT INTO memberships (id, customer_id, plan_id, tier, method_id, currency, price, status, anchor_day, schedule_id)
			VALUES ($1, $2, 'plus', 'gold', $3, 'KRW', 9900, $4, 1, $5)`, m.id, owner, f.cardMethod(owner), m.status, workflows.MembershipScheduleID(m.id))
		require.NoError(t, err)
	}
	f.do(request{method: http.MethodPost, path: "/v1/memberships", role: roleApp, body: body("basic", card)}).problem(http.StatusConflict, codeMembershipExists)
	for _, action := range []string{"pause", "resume", "cancel"} {
		f.do(request{method: http.MethodPost, path: "/v1/memberships/" + ended + "/" + action, role: roleApp}).problem(http.StatusConflict, codeMembershipStateClosed)
	}
	f.do(request{method: http.MethodGet, path: "/v1/memberships/mem_nope", role: roleOps}).problem(http.StatusNotFound, codeMembershipNotFound)
	require.Equal(t, 1, f.rowsOf("memberships", cus))
	require.Zero(t, f.workflowsOnQueue(), "no charge was started")
}

// Bad wallet refund requests are 4xx problems that move nothing.
func TestWalletRefundBadInputMovesNothing(t *testing.T) {
	f := newFixture(t)
	verified, unverified := f.customer(unique("wr")), f.customer(unique("wr"))
	_, err := f.pool.Exec(context.Background(), `UPDATE customers SET identity_verified_at = now() WHERE id = $1`, verified)
	require.NoError(t, err)
	bank, card, otherBank := f.bankMethod(verified), f.cardMethod(verified), f.bankMethod(unverified)
	cases := []struct {
		name, customer, body string
		status               int
		code                 string
	}{
		{"zero amount", verified, fmt.Sprintf(`{"method_id":%q,"amount":0,"currency":"KRW"}`, bank), http.StatusUnprocessableEntity, codeInvalidAmount},
		{"another currency", verified, fmt.Sprintf(`{"method_id":%q,"currency":"USD"}`, bank), http.StatusUnprocessableEntity, codeUnsupportedCurrency},
		{"a card", verified, fmt.Sprintf(`{"method_id":%q,"currency":"KRW"}`, card), http.StatusUnprocessableEntity, codeUnknownPaymentMethod},
		{"another customer's account", verified, fmt.Sprintf(`{"method_id":%q,"currency":"KRW"}`, otherBank), http.StatusUnprocessableEntity, codeUnknownPaymentMethod},
		{"not verified", unverified, fmt.Sprintf(`{"method_id":%q,"currency":"KRW"}`, otherBank), http.StatusConflict, codeVerificationRequired},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			f.do(request{method: http.MethodPost, path: "/v1/wallets/" + c.customer + "/refunds", role: roleApp, body: c.body,
				idemKey: fmt.Sprintf("wr-bad-%d", i)}).problem(c.status, c.code)
		})
	}
	require.Zero(t, f.rowsOf("wallet_refunds", verified)+f.rowsOf("wallet_refunds", unverified))
	f.do(request{method: http.MethodGet, path: "/v1/wallets/" + verified + "/refunds/wr_nope", role: roleApp}).problem(http.StatusNotFound, codeWalletRefundNotFound)
	require.Zero(t, f.workflowsOnQueue(), "no refund workflow was started")
}
