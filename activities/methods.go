package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
)

// Methods registers payment methods: a bank account's holder is checked at the
// bank, a billing key is issued at each PG, and only references are stored.
type Methods struct {
	PGs  map[string]pg.Client
	Bank bank.Client
	Keys *pii.Keys // seals a bank account's number for wallet top-up debits
	Pool *pgxpool.Pool
}

type CheckHolderInput struct {
	BankCode      string
	AccountNumber string
	HolderName    string
}

// CheckAccountHolder verifies that the account exists and belongs to the named holder.
func (m *Methods) CheckAccountHolder(ctx context.Context, in CheckHolderInput) error {
	holder, err := m.Bank.InquireHolder(ctx, in.BankCode, in.AccountNumber)
	if err != nil {
		return providerError("account holder inquiry", err, false)
	}
	if normalizeName(holder) != normalizeName(in.HolderName) {
		return nonRetryable(ErrHolderMismatch, Failure{Code: "holder_mismatch",
			Message: "the account holder does not match the given name"}, nil)
	}
	return nil
}

type IssueBillingKeyInput struct {
	MethodID    string
	CustomerID  string
	PG          string
	AuthKey     string
	BankAccount *pg.BankAccount
}

type BillingKeyResult struct {
	// Unsupported: this PG issues no billing key for this kind of method (a bank
	// account at a PG without bank-account billing); nothing was sent to it.
	Unsupported  bool
	PG           string
	BillingKey   string
	CardBrand    string
	CardType     string
	CardLast4    string
	CardBIN      string // first 6-8 digits, "" when the PG did not show them
	BankCode     string
	AccountLast4 string
}

// IssueBillingKey asks one PG for a billing key for the card or account.
func (m *Methods) IssueBillingKey(ctx context.Context, in IssueBillingKeyInput) (BillingKeyResult, error) {
	client, ok := m.PGs[in.PG]
	if !ok {
		return BillingKeyResult{}, nonRetryable(ErrInvalidRequest, Failure{Code: "unknown_pg", Message: "no PG named " + in.PG}, nil)
	}
	if in.BankAccount != nil && !pg.CapabilitiesOf(client).BankAccountBilling {
		return BillingKeyResult{PG: in.PG, Unsupported: true}, nil
	}
	bk, err := client.IssueBillingKey(ctx, pg.IssueBillingKeyRequest{
		CustomerKey: in.CustomerID, AuthKey: in.AuthKey, BankAccount: in.BankAccount,
	})
	if err != nil {
		return BillingKeyResult{}, providerError("issue billing key at "+in.PG, err, true)
	}
	return BillingKeyResult{
		PG: in.PG, BillingKey: bk.BillingKey, CardBrand: bk.CardBrand, CardType: bk.CardType,
		CardLast4: bk.CardLast4, CardBIN: bk.CardBIN, BankCode: bk.BankCode, AccountLast4: bk.AccountLast4,
	}, nil
}

type SaveMethodInput struct {
	MethodID    string
	CustomerID  string
	Kind        string
	HolderName  string
	BillingKeys []BillingKeyResult // the first describes the method
	// BankCode and AccountNumber of a bank account: the number is stored sealed,
	// for the debits of wallet top-ups.
	BankCode      string
	AccountNumber string
}

// SaveMethod stores the method and its billing keys in one transaction.
func (m *Methods) SaveMethod(ctx context.Context, in SaveMethodInput) error {
	var first BillingKeyResult // describes the method; none for a bank account no PG bills
	if len(in.BillingKeys) > 0 {
		first = in.BillingKeys[0]
	}
	if first.BankCode == "" && in.Kind == "bank_account" {
		first.BankCode, first.AccountLast4 = in.BankCode, last4Digits(in.AccountNumber)
	}
	return pgx.BeginFunc(ctx, m.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		_, err := q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{
			ID: in.MethodID, CustomerID: in.CustomerID, Kind: in.Kind,
			CardBrand: text(first.CardBrand), CardType: text(first.CardType), CardLast4: text(first.CardLast4),
			CardBin: first.CardBIN, BankCode: text(first.BankCode), AccountLast4: text(first.AccountLast4), HolderName: text(in.HolderName),
		})
		if err != nil {
			return fmt.Errorf("save method %s: %w", in.MethodID, err)
		}
		if in.Kind == "bank_account" && in.AccountNumber != "" {
			sealed, err := m.Keys.Seal(in.AccountNumber)
			if err != nil {
				return err
			}
			if err := q.SaveBankDebitAccount(ctx, db.SaveBankDebitAccountParams{
				MethodID: in.MethodID, BankCode: in.BankCode, AccountNumberSealed: sealed, HolderName: in.HolderName,
			}); err != nil {
				return fmt.Errorf("save debit account of %s: %w", in.MethodID, err)
			}
		}
		for _, bk := range in.BillingKeys {
			sealed, err := m.Keys.Seal(bk.BillingKey)
			if err != nil {
				return fmt.Errorf("seal billing key of %s at %s: %w", in.MethodID, bk.PG, err)
			}
			if err := q.SaveBillingKey(ctx, db.SaveBillingKeyParams{MethodID: in.MethodID, Pg: bk.PG, BillingKeySealed: sealed}); err != nil {
				return fmt.Errorf("save billing key of %s at %s: %w", in.MethodID, bk.PG, err)
			}
		}
		return nil
	})
}

func normalizeName(s string) string { return strings.Join(strings.Fields(s), "") }

func last4Digits(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
