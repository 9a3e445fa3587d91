package providersim_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
)

func TestBankInquiry(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.admin.SetBankAccount(e.ctx, providersim.BankAccount{BankCode: "088", AccountNumber: "110123456789", HolderName: "김고객", Balance: 1000}))
	tests := []struct {
		name, bankCode, account string
		holder                  string
		kind                    adapters.Kind
		code                    string
	}{
		{"registered", "088", "110123456789", "김고객", "", ""},
		{"any other account exists with the default holder", "004", "1234567890", providersim.DefaultHolderName, "", ""},
		{"closed accounts still name the holder", "004", "9981234567", providersim.DefaultHolderName, "", ""},
		{"999 never exists", "004", "9991234567", "", adapters.NotFound, "ACCOUNT_NOT_FOUND"},
		{"bad bank code", "04", "1234567890", "", adapters.Invalid, "INVALID_BANK_CODE"},
		{"short account", "004", "123456789", "", adapters.Invalid, "INVALID_ACCOUNT_NUMBER"},
		{"letters", "004", "12345678ab", "", adapters.Invalid, "INVALID_ACCOUNT_NUMBER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holder, err := e.bank.InquireHolder(e.ctx, tt.bankCode, tt.account)
			if tt.kind != "" {
				ae := requireKind(t, err, tt.kind, tt.code)
				assert.NotContains(t, ae.Error(), tt.account, "errors never carry the account number")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.holder, holder)
		})
	}
	assert.Empty(t, e.records(providersim.RecordFilter{}), "an inquiry moves no money")
}

func TestBankMoves(t *testing.T) {
	e := newEnv(t)
	const code, acct = "088", "110123456789"
	require.NoError(t, e.admin.SetBankAccount(e.ctx, providersim.BankAccount{BankCode: code, AccountNumber: acct, HolderName: "김고객", Balance: 10000}))
	mv := func(amount int64) bank.MoveRequest {
		return bank.MoveRequest{IdempotencyKey: key("mv"), BankCode: code, AccountNumber: acct, HolderName: "김고객", Amount: amount, Currency: "KRW", Memo: "test"}
	}
	tests := []struct {
		name string
		op   string // debit | transfer
		req  bank.MoveRequest
		kind adapters.Kind
		code string
	}{
		{"debit", "debit", mv(6000), "", ""},
		{"debit beyond the balance", "debit", mv(4001), adapters.Declined, "INSUFFICIENT_FUNDS"},
		{"debit the rest", "debit", mv(4000), "", ""},
		{"transfer in", "transfer", mv(2500), "", ""},
		{"debit what came in", "debit", mv(2500), "", ""},
		{"holder mismatch", "debit", bank.MoveRequest{IdempotencyKey: key("mv"), BankCode: code, AccountNumber: acct, HolderName: "김철수", Amount: 1, Currency: "KRW"}, adapters.Declined, "ACCOUNT_HOLDER_MISMATCH"},
		{"no holder given is not checked", "transfer", bank.MoveRequest{IdempotencyKey: key("mv"), BankCode: code, AccountNumber: acct, Amount: 1, Currency: "KRW"}, "", ""},
		{"closed account", "transfer", bank.MoveRequest{IdempotencyKey: key("mv"), BankCode: "004", AccountNumber: "9981234567", Amount: 1, Currency: "KRW"}, adapters.Declined, "ACCOUNT_CLOSED"},
		{"no such account", "transfer", bank.MoveRequest{IdempotencyKey: key("mv"), BankCode: "004", AccountNumber: "9991234567", Amount: 1, Currency: "KRW"}, adapters.Invalid, "ACCOUNT_NOT_FOUND"},
		{"zero amount", "debit", mv(0), adapters.Invalid, "INVALID_AMOUNT"},
		{"bad currency", "debit", bank.MoveRequest{IdempotencyKey: key("mv"), BankCode: code, AccountNumber: acct, Amount: 1, Currency: "won"}, adapters.Invalid, "INVALID_CURRENCY"},
		{"no key (client check)", "debit", bank.MoveRequest{BankCode: code, AccountNumber: acct, Amount: 1, Currency: "KRW"}, adapters.Invalid, ""},
	}
	var wantN int
	var wantDebit, wantTransfer int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			do := e.bank.Debit
			if tt.op == "transfer" {
				do = e.bank.Transfer
			}
			txn, err := do(e.ctx, tt.req)
			if tt.kind != "" {
				ae := requireKind(t, err, tt.kind, tt.code)
				assert.NotContains(t, ae.Error(), tt.req.AccountNumber)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, bank.Transaction{ID: txn.ID, Kind: tt.op, Status: "succeeded", Amount: tt.req.Amount, Currency: "KRW"}, txn)
			found, err := e.bank.GetByIdempotencyKey(e.ctx, tt.req.IdempotencyKey)
			require.NoError(t, err)
			assert.Equal(t, txn, found)
			again, err := do(e.ctx, tt.req)
			require.NoError(t, err, "a retry replays")
			assert.Equal(t, txn, again)
			recs := e.records(providersim.RecordFilter{IdempotencyKey: tt.req.IdempotencyKey})
			require.Len(t, recs, 1)
			assert.Equal(t, providersim.Record{Seq: recs[0].Seq, Provider: "bank", Kind: tt.op, IdempotencyKey: tt.req.IdempotencyKey,
				PaymentKey: txn.ID, Amount: tt.req.Amount, Currency: "KRW", At: recs[0].At}, recs[0])
			wantN++
			if tt.op == "debit" {
				wantDebit += tt.req.Amount
			} else {
				wantTransfer += tt.req.Amount
			}
		})
	}
	n, amt := sum(e.records(providersim.RecordFilter{Provider: "bank", Kind: providersim.KindDebit}))
	assert.Equal(t, 3, n)
	assert.Equal(t, wantDebit, amt)
	assert.EqualValues(t, 12500, amt)
	_, amt = sum(e.records(providersim.RecordFilter{Provider: "bank", Kind: providersim.KindTransfer}))
	assert.Equal(t, wantTransfer, amt)
	assert.Len(t, e.records(providersim.RecordFilter{Provider: "bank"}), wantN)
}

func TestBankIdempotency(t *testing.T) {
	e := newEnv(t)
	req := bank.MoveRequest{IdempotencyKey: key("payout"), BankCode: "004", AccountNumber: "1234567890", Amount: 5000, Currency: "KRW"}
	first, err := e.bank.Transfer(e.ctx, req)
	require.NoError(t, err)

	changed := req
	changed.Amount = 5001
	_, err = e.bank.Transfer(e.ctx, changed)
	requireKind(t, err, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED")
	_, err = e.bank.Debit(e.ctx, req)
	requireKind(t, err, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED")

	// A decline is remembered: the retry is declined even if the balance grew.
	require.NoError(t, e.admin.SetBankAccount(e.ctx, providersim.BankAccount{BankCode: "004", AccountNumber: "5550001111", HolderName: "이몽룡", Balance: 100}))
	debit := bank.MoveRequest{IdempotencyKey: key("debit"), BankCode: "004", AccountNumber: "5550001111", Amount: 200, Currency: "KRW"}
	_, err = e.bank.Debit(e.ctx, debit)
	requireKind(t, err, adapters.Declined, "INSUFFICIENT_FUNDS")
	_, err = e.bank.GetByIdempotencyKey(e.ctx, debit.IdempotencyKey)
	requireKind(t, err, adapters.NotFound, "TRANSACTION_NOT_FOUND")

	_, err = e.bank.GetByIdempotencyKey(e.ctx, "never-used")
	requireKind(t, err, adapters.NotFound, "TRANSACTION_NOT_FOUND")
	n, amt := sum(e.records(providersim.RecordFilter{Provider: "bank"}))
	assert.Equal(t, 1, n)
	assert.EqualValues(t, 5000, amt)
	assert.Equal(t, first.ID, e.records(providersim.RecordFilter{Provider: "bank"})[0].PaymentKey)
}

func TestSetBankAccountValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		acct providersim.BankAccount
	}{
		{"bad bank code", providersim.BankAccount{BankCode: "0", AccountNumber: "1234567890", HolderName: "a"}},
		{"bad account", providersim.BankAccount{BankCode: "004", AccountNumber: "12", HolderName: "a"}},
		{"999 account", providersim.BankAccount{BankCode: "004", AccountNumber: "9991234567", HolderName: "a"}},
		{"no holder", providersim.BankAccount{BankCode: "004", AccountNumber: "1234567890", HolderName: " "}},
		{"negative balance", providersim.BankAccount{BankCode: "004", AccountNumber: "1234567890", HolderName: "a", Balance: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.admin.SetBankAccount(e.ctx, tt.acct)
			var ae *providersim.APIError
			require.True(t, errors.As(err, &ae), "err: %v", err)
			assert.Equal(t, 400, ae.Status)
		})
	}
}

// TestBankBillingConnector drives adapters/bank.Billing (the firm-banking
// connector that bills bank accounts as a PG) against the sandbox bank: a
// debit under the authorize key, found again by it, a partial refund and the
// rest paid back by transfers to the debited account, each once per key.
func TestBankBillingConnector(t *testing.T) {
	e := newEnv(t)
	const code, acct = "088", "110123456789"
	require.NoError(t, e.admin.SetBankAccount(e.ctx, providersim.BankAccount{BankCode: code, AccountNumber: acct, HolderName: "김고객", Balance: 20000}))
	b := bank.NewBilling("bank", e.bank)

	_, err := b.IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{BankAccount: &pg.BankAccount{BankCode: code, AccountNumber: acct, HolderName: "홍길동"}})
	requireKind(t, err, adapters.Declined, "HOLDER_MISMATCH")
	bk, err := b.IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{BankAccount: &pg.BankAccount{BankCode: code, AccountNumber: acct, HolderName: "김고객"}})
	require.NoError(t, err)
	assert.Equal(t, "6789", bk.AccountLast4)

	auth := pg.AuthorizeRequest{IdempotencyKey: key("payment"), BillingKey: bk.BillingKey, OrderID: "o-1", Amount: 15000, Currency: "KRW"}
	pay, err := b.Authorize(e.ctx, auth)
	require.NoError(t, err)
	assert.Equal(t, "captured", pay.Status)
	again, err := b.Authorize(e.ctx, auth)
	require.NoError(t, err)
	assert.Equal(t, pay.PaymentKey, again.PaymentKey, "the same key debits once")
	found, err := b.GetByIdempotencyKey(e.ctx, auth.IdempotencyKey)
	require.NoError(t, err)
	assert.Equal(t, pay.PaymentKey, found.PaymentKey)

	_, err = b.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("payment"), BillingKey: bk.BillingKey, Amount: 15000, Currency: "KRW"})
	requireKind(t, err, adapters.Declined, "INSUFFICIENT_FUNDS")

	refund := pg.CancelRequest{IdempotencyKey: key("refund"), PaymentKey: pay.PaymentKey, Amount: 4000}
	for range 2 {
		_, err = b.Cancel(e.ctx, refund)
		require.NoError(t, err)
	}
	_, err = b.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: key("refund"), PaymentKey: pay.PaymentKey, Amount: 15001})
	requireKind(t, err, adapters.Invalid, "NOT_CANCELABLE_AMOUNT")
	n, amt := sum(e.records(providersim.RecordFilter{Kind: providersim.KindDebit}))
	assert.Equal(t, 1, n)
	assert.EqualValues(t, 15000, amt)
	n, amt = sum(e.records(providersim.RecordFilter{Kind: providersim.KindTransfer}))
	assert.Equal(t, 1, n, "the refund transferred once")
	assert.EqualValues(t, 4000, amt)
	txn, err := e.bank.GetTransaction(e.ctx, pay.PaymentKey)
	require.NoError(t, err)
	assert.Equal(t, bank.Transaction{ID: pay.PaymentKey, Kind: "debit", Status: "succeeded", Amount: 15000, Currency: "KRW",
		BankCode: code, AccountNumber: acct, HolderName: "김고객"}, txn, "read by id, a debit names its account")
}
