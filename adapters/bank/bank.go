// Package bank is the bank (firm banking) client: account-holder inquiry
// (예금주 조회), debit (출금이체), transfer (송금) and query by idempotency key.
package bank

import "context"

type Client interface {
	// InquireHolder returns the registered holder name of an account.
	InquireHolder(ctx context.Context, bankCode, accountNumber string) (string, error)
	Debit(ctx context.Context, req MoveRequest) (Transaction, error)
	Transfer(ctx context.Context, req MoveRequest) (Transaction, error)
	// GetByIdempotencyKey: an adapters.Error of kind NotFound when there is none.
	GetByIdempotencyKey(ctx context.Context, key string) (Transaction, error)
	// GetTransaction reads one transaction by its id, with the account it
	// moved money from or to (what a refund of a debit is paid back to).
	GetTransaction(ctx context.Context, id string) (Transaction, error)
}

type MoveRequest struct {
	IdempotencyKey string
	BankCode       string
	AccountNumber  string
	HolderName     string
	Amount         int64
	Currency       string
	Memo           string
}

type Transaction struct {
	ID       string
	Kind     string // debit | transfer
	Status   string // succeeded
	Amount   int64
	Currency string
	// BankCode, AccountNumber and HolderName: the account, filled by
	// GetTransaction only (the other answers show the last 4 digits).
	BankCode      string
	AccountNumber string
	HolderName    string
}
