package e2e

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

// walletCustomer registers a customer with a bank account holding balance at
// the sandbox bank, and returns their ids.
func (s *stack) walletCustomer(balance int64) (customerID, methodID string) {
	s.t.Helper()
	res := s.call("POST", "/v1/customers", appKey, map[string]any{"external_id": "ext-" + uuid.NewString(), "name": "홍길동"}, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	customerID = res.json(s.t)["id"].(string)
	account := fmt.Sprintf("110%09d", time.Now().UnixNano()%1_000_000_000)
	require.NoError(s.t, s.sim.SetBankAccount(s.ctx, providersim.BankAccount{
		BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: balance}))
	res = s.call("POST", "/v1/customers/"+customerID+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}}, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	return customerID, res.json(s.t)["id"].(string)
}

// startVerification asks for a code and returns the verification and the code
// the sandbox "texted".
func (s *stack) startVerification(customerID string) (id, code string) {
	s.t.Helper()
	res := s.call("POST", "/v1/identity-verifications", appKey, map[string]any{
		"customer_id": customerID, "name": "홍길동", "phone": "01012345678", "birth_date": "19900101"}, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	v := res.json(s.t)
	require.Equal(s.t, "pending", v["status"])
	code, err := s.sim.IdentityCode(s.ctx, v["provider_request_id"].(string))
	require.NoError(s.t, err)
	return v["id"].(string), code
}

func (s *stack) confirm(id, code string) map[string]any {
	s.t.Helper()
	res := s.call("POST", "/v1/identity-verifications/"+id+"/confirm", appKey, map[string]any{"code": code}, nil)
	require.Equal(s.t, 200, res.Status, "%s", res.Body)
	return res.json(s.t)
}

func (s *stack) verify(customerID string) {
	s.t.Helper()
	id, code := s.startVerification(customerID)
	require.Equal(s.t, "verified", s.confirm(id, code)["status"])
}

func (s *stack) topUp(customerID, methodID string, amount int64) response {
	s.t.Helper()
	return s.call("POST", "/v1/wallets/"+customerID+"/topups", appKey,
		map[string]any{"method_id": methodID, "amount": amount, "currency": "KRW"},
		map[string]string{"Idempotency-Key": uuid.NewString()})
}

func (s *stack) walletBalance(customerID string) int64 {
	s.t.Helper()
	res := s.call("GET", "/v1/wallets/"+customerID, appKey, nil, nil)
	require.Equal(s.t, 200, res.Status, "%s", res.Body)
	return int64(res.json(s.t)["balance"].(float64))
}

func (s *stack) bankDebits() (n int, amount int64) {
	s.t.Helper()
	recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "bank", Kind: "debit"})
	require.NoError(s.t, err)
	return count(recs, "debit")
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestWalletVerificationThenTopUp(t *testing.T) {
	s := newStack(t)
	customerID, methodID := s.walletCustomer(10_000_000)

	// Before verification a top-up is refused and nothing is debited.
	res := s.topUp(customerID, methodID, 300_000)
	require.Equal(t, 409, res.Status, "%s", res.Body)
	require.Equal(t, "identity_verification_required", res.json(t)["code"])

	id, code := s.startVerification(customerID)
	require.Equal(t, "idv-"+customerID+"-1", id)
	wrong := s.confirm(id, wrongCode(code))
	require.Equal(t, "pending", wrong["status"])
	require.Equal(t, "wrong_code", wrong["failure_code"])
	require.Equal(t, float64(4), wrong["attempts_left"])
	require.Equal(t, "verified", s.confirm(id, code)["status"])
	res = s.call("GET", "/v1/identity-verifications/"+id, opsKey, nil, nil)
	require.Equal(t, 200, res.Status)
	require.Equal(t, "verified", res.json(t)["status"])
	res = s.call("POST", "/v1/identity-verifications/"+id+"/confirm", appKey, map[string]any{"code": code}, nil)
	require.Equal(t, 409, res.Status, "a closed verification takes no more codes")
	// Only a keyed hash of the CI/DI is kept.
	var ciHash, diHash string
	require.NoError(t, s.pool.QueryRow(s.ctx, `SELECT ci_hash, di_hash FROM customers WHERE id = $1`, customerID).Scan(&ciHash, &diHash))
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{64}$`), ciHash)
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{64}$`), diHash)

	key := uuid.NewString()
	body := map[string]any{"method_id": methodID, "amount": 300_000, "currency": "KRW"}
	res = s.call("POST", "/v1/wallets/"+customerID+"/topups", appKey, body, map[string]string{"Idempotency-Key": key})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	top := res.json(t)
	require.Equal(t, "succeeded", top["status"])
	again := s.call("POST", "/v1/wallets/"+customerID+"/topups", appKey, body, map[string]string{"Idempotency-Key": key})
	require.Equal(t, 201, again.Status)
	require.JSONEq(t, string(res.Body), string(again.Body))

	// Exactly one debit at the bank, under the top-up's key; the wallet credited once.
	recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "bank", IdempotencyKey: "topup:" + top["id"].(string) + ":debit"})
	require.NoError(t, err)
	n, amount := count(recs, "debit")
	require.Equal(t, 1, n)
	require.Equal(t, int64(300_000), amount)
	require.Equal(t, int64(300_000), s.walletBalance(customerID))
	require.Equal(t, int64(300_000), s.balance("bank:clearing"))
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM journal_transactions WHERE kind = 'wallet_topup'`))
	s.requireLedgerBalanced()

	res = s.call("GET", "/v1/wallets/"+customerID+"/transactions?limit=10", opsKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	txns := res.json(t)["data"].([]any)
	require.Len(t, txns, 1)
	require.Equal(t, float64(300_000), txns[0].(map[string]any)["amount"])
}

func TestWalletTopUpLimits(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.WalletCap = 500_000; c.WalletDailyTopUp = 400_000 })
	customerID, methodID := s.walletCustomer(10_000_000)
	s.verify(customerID)

	res := s.topUp(customerID, methodID, 600_000)
	require.Equal(t, 422, res.Status, "%s", res.Body)
	require.Equal(t, "wallet_cap_exceeded", res.json(t)["code"])

	require.Equal(t, 201, s.topUp(customerID, methodID, 300_000).Status)
	res = s.topUp(customerID, methodID, 150_000)
	require.Equal(t, 422, res.Status, "%s", res.Body)
	require.Equal(t, "daily_topup_limit_exceeded", res.json(t)["code"])

	n, amount := s.bankDebits()
	require.Equal(t, 1, n, "refused top-ups never reach the bank")
	require.Equal(t, int64(300_000), amount)
	require.Equal(t, int64(300_000), s.walletBalance(customerID))
	s.requireLedgerBalanced()
}

// A customer may start only so many top-ups an hour: the next is 429 with
// Retry-After and never reaches the bank.
func TestWalletTopUpVelocityLimit(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.WalletTopUpsPerHour = 2 })
	customerID, methodID := s.walletCustomer(10_000_000)
	s.verify(customerID)

	require.Equal(t, 201, s.topUp(customerID, methodID, 10_000).Status)
	require.Equal(t, 201, s.topUp(customerID, methodID, 10_000).Status)
	res := s.topUp(customerID, methodID, 10_000)
	require.Equal(t, 429, res.Status, "%s", res.Body)
	require.Equal(t, "topup_velocity_exceeded", res.json(t)["code"])
	require.Equal(t, "3600", res.Header.Get("Retry-After"))

	n, amount := s.bankDebits()
	require.Equal(t, 2, n)
	require.Equal(t, int64(20_000), amount)
	require.Equal(t, int64(20_000), s.walletBalance(customerID))
}

// Concurrent top-ups are checked one after another under the customer's row
// lock: however they interleave, the wallet never passes its cap.
func TestWalletConcurrentTopUpsRespectCap(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.WalletCap = 1_000_000; c.WalletDailyTopUp = 5_000_000 })
	customerID, methodID := s.walletCustomer(10_000_000)
	s.verify(customerID)

	const tries = 8
	statuses := make([]int, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = s.topUp(customerID, methodID, 300_000).Status
		}()
	}
	wg.Wait()

	ok := 0
	for _, st := range statuses {
		require.Contains(t, []int{201, 422}, st)
		if st == 201 {
			ok++
		}
	}
	require.Equal(t, 3, ok, "statuses %v", statuses)
	n, amount := s.bankDebits()
	require.Equal(t, 3, n)
	require.Equal(t, int64(900_000), amount)
	require.Equal(t, int64(900_000), s.walletBalance(customerID))
	s.requireLedgerBalanced()
}

func TestWalletTopUpBankDeclineCreditsNothing(t *testing.T) {
	s := newStack(t)
	customerID, methodID := s.walletCustomer(10_000)
	s.verify(customerID)

	res := s.topUp(customerID, methodID, 50_000)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	top := res.json(t)
	require.Equal(t, "failed", top["status"])
	require.Equal(t, "insufficient_funds", top["failure"].(map[string]any)["code"])

	n, _ := s.bankDebits()
	require.Zero(t, n)
	require.Zero(t, s.walletBalance(customerID))
	require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions WHERE kind = 'wallet_topup'`))
	// A failed top-up no longer counts against the daily limit.
	res = s.call("GET", "/v1/wallets/"+customerID, appKey, nil, nil)
	require.Equal(t, float64(0), res.json(t)["topped_up_today"])
}

func TestWalletVerificationExpires(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.IdentityCodeTTL = 2 * time.Second })
	customerID, _ := s.walletCustomer(10_000_000)
	id, code := s.startVerification(customerID)
	require.Eventually(t, func() bool {
		res := s.call("GET", "/v1/identity-verifications/"+id, appKey, nil, nil)
		return res.json(t)["status"] == "expired"
	}, 15*time.Second, 200*time.Millisecond)
	res := s.call("POST", "/v1/identity-verifications/"+id+"/confirm", appKey, map[string]any{"code": code}, nil)
	require.Equal(t, 409, res.Status, "%s", res.Body)
	require.Equal(t, "identity_verification_closed", res.json(t)["code"])
	res = s.call("GET", "/v1/wallets/"+customerID, appKey, nil, nil)
	require.Equal(t, false, res.json(t)["identity_verified"])
}

// Bad input is a 4xx problem; nothing is written and no workflow starts.
func TestWalletBadInputStartsNothing(t *testing.T) {
	s := newStack(t)
	customerID, methodID := s.walletCustomer(10_000_000)
	s.verify(customerID)
	idem := func() map[string]string { return map[string]string{"Idempotency-Key": uuid.NewString()} }

	cases := []struct {
		name, path, code string
		body             map[string]any
	}{
		{"bad phone", "/v1/identity-verifications", "validation_failed",
			map[string]any{"customer_id": customerID, "name": "홍길동", "phone": "123", "birth_date": "19900101"}},
		{"zero top-up", "/v1/wallets/" + customerID + "/topups", "invalid_amount",
			map[string]any{"method_id": methodID, "amount": 0, "currency": "KRW"}},
		{"foreign currency", "/v1/wallets/" + customerID + "/topups", "unsupported_currency",
			map[string]any{"method_id": methodID, "amount": 1000, "currency": "USD"}},
		{"wallet part above the amount", "/v1/checkouts", "invalid_amount",
			walletCheckoutBody(customerID, orderID(), 1000, map[string]any{"wallet_amount": 2000})},
		{"method with a wallet-only payment", "/v1/checkouts", "validation_failed",
			walletCheckoutBody(customerID, orderID(), 1000, map[string]any{"wallet_amount": 1000, "method_id": methodID})},
		{"no method for the card part", "/v1/checkouts", "validation_failed",
			walletCheckoutBody(customerID, orderID(), 1000, map[string]any{"wallet_amount": 400})},
	}
	for _, tc := range cases {
		res := s.call("POST", tc.path, appKey, tc.body, idem())
		require.Equal(t, 422, res.Status, "%s: %s", tc.name, res.Body)
		require.Equal(t, tc.code, res.json(t)["code"], tc.name)
	}
	res := s.call("POST", "/v1/identity-verifications/idv-"+customerID+"-1/confirm", appKey, map[string]any{"code": "12ab"}, nil)
	require.Equal(t, 422, res.Status, "%s", res.Body)

	require.Equal(t, 1, s.rows(`SELECT count(*) FROM identity_verifications`), "only the verification that succeeded")
	require.Zero(t, s.rows(`SELECT count(*) FROM wallet_topups`))
	require.Zero(t, s.rows(`SELECT count(*) FROM payments`))
	n, _ := s.bankDebits()
	require.Zero(t, n)
}
