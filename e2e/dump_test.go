package e2e

import (
	"encoding/hex"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/providersim"
)

// TestDatabaseDumpHoldsNoBillingKeyOrAccountNumber registers cards and a bank
// account, pays with them, then dumps the database as an attacker with a
// backup would: no billing key and no account number appears in clear.
func TestDatabaseDumpHoldsNoBillingKeyOrAccountNumber(t *testing.T) {
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Skip("pg_dump is not installed")
	}
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.Equal(t, "succeeded", s.checkout(checkoutBody(cus, pm, orderID())).json(t)["status"])
	const account = "1100223344556"
	require.NoError(t, s.sim.SetBankAccount(s.ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 1_000_000}))
	res := s.call("POST", "/v1/customers/"+cus+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)

	keys, err := s.sim.Records(s.ctx, providersim.RecordFilter{Kind: "billing_key"})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(keys), 2, "a card and a bank account billing key")
	out, err := exec.CommandContext(s.ctx, "pg_dump", "--data-only", "--dbname", s.app.Config.DatabaseURL).Output()
	require.NoError(t, err)
	dump := string(out)
	require.Contains(t, dump, cus, "the dump has the data")
	for _, k := range keys {
		require.NotContains(t, dump, k.PaymentKey, "billing key %s in clear", k.PaymentKey)
		require.NotContains(t, dump, hex.EncodeToString([]byte(k.PaymentKey)), "billing key %s as clear bytea", k.PaymentKey)
	}
	require.NotContains(t, dump, account, "account number in clear")
	require.NotContains(t, dump, hex.EncodeToString([]byte(account)), "account number as clear bytea")
}
