package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/pii"
)

// WalletRefunds sends a customer's wallet balance (or part of it) back to
// their registered bank account (잔액 환불): the amount leaves the wallet when
// the refund is reserved, the bank transfer under wallet-refund:{id}:transfer
// pays amount - fee, and a refund the bank never made goes back to the wallet.
type WalletRefunds struct {
	Bank bank.Client
	Keys *pii.Keys
	Pool *pgxpool.Pool
}

// WalletRefundRules are the configurable conditions (config, copied at start).
type WalletRefundRules struct {
	MinAmount       int64 // the smallest refund
	Fee             int64 // taken from the refund, revenue
	RequireVerified bool  // only identity-verified customers
}

type ReserveWalletRefundInput struct {
	RefundID   string
	CustomerID string
	MethodID   string
	Currency   string
	Amount     int64 // 0: the whole available balance
	Rules      WalletRefundRules
	WorkflowID string
}

type ReserveWalletRefundResult struct {
	Amount int64 // what leaves the wallet
	Fee    int64
}

// ReserveWalletRefund checks the conditions and takes the amount out of the
// wallet, in one transaction under the customer's row lock (as checkouts hold
// wallet parts, ADR 0005): the balance less active holds must cover it.
func (w *WalletRefunds) ReserveWalletRefund(ctx context.Context, in ReserveWalletRefundInput) (ReserveWalletRefundResult, error) {
	var out ReserveWalletRefundResult
	err := pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		cus, err := q.LockCustomer(ctx, in.CustomerID)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid("customer_not_found", "no customer "+in.CustomerID)
		} else if err != nil {
			return fmt.Errorf("lock customer %s: %w", in.CustomerID, err)
		}
		if r, err := q.GetWalletRefund(ctx, in.RefundID); err == nil {
			out = ReserveWalletRefundResult{Amount: r.Amount, Fee: r.Fee}
			return nil // reserved by an earlier attempt
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load wallet refund %s: %w", in.RefundID, err)
		}
		if in.Rules.RequireVerified && !cus.IdentityVerifiedAt.Valid {
			return invalid("identity_verification_required", "the customer must verify their identity before a wallet refund")
		}
		if err := refundAccountOf(ctx, q, in.CustomerID, in.MethodID); err != nil {
			return err
		}
		available, err := availableBalance(ctx, q, in.CustomerID, in.Currency)
		if err != nil {
			return err
		}
		amount := in.Amount
		if amount == 0 {
			amount = available
		}
		switch {
		case amount > available:
			return nonRetryable(ErrDeclined, Failure{Code: "insufficient_wallet_balance",
				Message: fmt.Sprintf("the wallet has %d available", max(available, 0))}, nil)
		case amount < max(in.Rules.MinAmount, 1) || amount <= in.Rules.Fee:
			return invalid("wallet_refund_below_minimum",
				fmt.Sprintf("a wallet refund must be at least %d and more than the fee of %d; the amount is %d", max(in.Rules.MinAmount, 1), in.Rules.Fee, amount))
		}
		if _, err := q.CreateWalletRefund(ctx, db.CreateWalletRefundParams{
			ID: in.RefundID, CustomerID: in.CustomerID, MethodID: in.MethodID, Currency: in.Currency,
			Amount: amount, Fee: in.Rules.Fee, WorkflowID: in.WorkflowID,
		}); err != nil {
			return fmt.Errorf("create wallet refund %s: %w", in.RefundID, err)
		}
		if _, err := ledger.Post(ctx, q, ledger.WalletRefundReserveJournal(in.RefundID, in.CustomerID, in.Currency, amount)); err != nil {
			return err
		}
		out = ReserveWalletRefundResult{Amount: amount, Fee: in.Rules.Fee}
		return nil
	})
	return out, err
}

// refundAccountOf: the method is the customer's active bank account.
func refundAccountOf(ctx context.Context, q *db.Queries, customerID, methodID string) error {
	m, err := q.GetPaymentMethod(ctx, methodID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("load method %s: %w", methodID, err)
	}
	if err != nil || m.CustomerID != customerID || m.Status != "active" || m.Kind != "bank_account" {
		return invalid("unknown_payment_method", "the method is not an active bank account of the customer")
	}
	return nil
}

// availableBalance is the wallet's balance less what checkouts hold.
func availableBalance(ctx context.Context, q *db.Queries, customerID, currency string) (int64, error) {
	raw, err := q.AccountBalance(ctx, db.AccountBalanceParams{Account: ledger.Wallet(customerID), Currency: currency})
	if err != nil {
		return 0, fmt.Errorf("wallet balance of %s: %w", customerID, err)
	}
	held, err := q.ActiveHoldsTotal(ctx, db.ActiveHoldsTotalParams{CustomerID: customerID, Currency: currency})
	if err != nil {
		return 0, fmt.Errorf("wallet holds of %s: %w", customerID, err)
	}
	return -raw - held, nil
}

type WalletRefundRef struct {
	RefundID string
}

type WalletRefundTransfer struct {
	Found         bool // for FindWalletRefundTransfer: the bank holds a transfer under the key
	TransactionID string
}

// WalletRefundKey is the bank transfer's idempotency key.
func WalletRefundKey(refundID string) string { return "wallet-refund:" + refundID + ":transfer" }

// TransferWalletRefund sends amount - fee to the customer's account (송금)
// under wallet-refund:{id}:transfer: however often it runs, the bank pays once.
func (w *WalletRefunds) TransferWalletRefund(ctx context.Context, in WalletRefundRef) (WalletRefundTransfer, error) {
	q := db.New(w.Pool)
	r, err := q.GetWalletRefund(ctx, in.RefundID)
	if err != nil {
		return WalletRefundTransfer{}, fmt.Errorf("load wallet refund %s: %w", in.RefundID, err)
	}
	acct, err := q.GetBankDebitAccount(ctx, r.MethodID)
	if err != nil {
		return WalletRefundTransfer{}, fmt.Errorf("load account of %s: %w", r.MethodID, err)
	}
	number, err := w.Keys.Open(acct.AccountNumberSealed)
	if err != nil {
		return WalletRefundTransfer{}, fmt.Errorf("open account of %s: %w", r.MethodID, err)
	}
	key := WalletRefundKey(r.ID)
	txn, err := w.Bank.Transfer(ctx, bank.MoveRequest{
		IdempotencyKey: key, BankCode: acct.BankCode, AccountNumber: number, HolderName: acct.HolderName,
		Amount: r.Amount - r.Fee, Currency: r.Currency, Memo: "paysaga wallet refund",
	})
	if adapters.Is(err, adapters.Ambiguous) {
		if found, qerr := w.Bank.GetByIdempotencyKey(ctx, key); qerr == nil {
			txn, err = found, nil
		}
	}
	if err != nil {
		return WalletRefundTransfer{}, providerError("transfer "+key, err, false)
	}
	return WalletRefundTransfer{Found: true, TransactionID: txn.ID}, nil
}

// FindWalletRefundTransfer asks the bank for the transfer by its key: after a
// decline or spent retries, it decides between booking and giving back.
func (w *WalletRefunds) FindWalletRefundTransfer(ctx context.Context, in WalletRefundRef) (WalletRefundTransfer, error) {
	txn, err := w.Bank.GetByIdempotencyKey(ctx, WalletRefundKey(in.RefundID))
	if adapters.Is(err, adapters.NotFound) {
		return WalletRefundTransfer{}, nil
	}
	if err != nil {
		return WalletRefundTransfer{}, providerError("find transfer of wallet refund "+in.RefundID, err, false)
	}
	return WalletRefundTransfer{Found: true, TransactionID: txn.ID}, nil
}

type CompleteWalletRefundInput struct {
	RefundID      string
	TransactionID string
}

// CompleteWalletRefund books the transfer and marks the refund succeeded, in
// one transaction; the journal wallet-refund:{id}:paid posts once.
func (w *WalletRefunds) CompleteWalletRefund(ctx context.Context, in CompleteWalletRefundInput) error {
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		r, err := q.GetWalletRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("load wallet refund %s: %w", in.RefundID, err)
		}
		if _, err := ledger.Post(ctx, q, ledger.WalletRefundPaidJournal(r.ID, r.Currency, r.Amount, r.Fee)); err != nil {
			return err
		}
		if err := q.SetWalletRefundBankTransaction(ctx, db.SetWalletRefundBankTransactionParams{ID: r.ID, BankTransactionID: text(in.TransactionID)}); err != nil {
			return fmt.Errorf("record transfer of %s: %w", r.ID, err)
		}
		if _, err := q.MarkWalletRefundSucceeded(ctx, r.ID); err != nil {
			return fmt.Errorf("mark wallet refund %s succeeded: %w", r.ID, err)
		}
		return nil
	})
}

type ReleaseWalletRefundInput struct {
	RefundID string
	Code     string
	Message  string
}

// ReleaseWalletRefund is the compensation: the bank holds no transfer under
// the key, so the amount goes back to the wallet and the refund ends failed.
func (w *WalletRefunds) ReleaseWalletRefund(ctx context.Context, in ReleaseWalletRefundInput) error {
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		r, err := q.GetWalletRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("load wallet refund %s: %w", in.RefundID, err)
		}
		if r.Status != "processing" {
			return nil // ended by an earlier attempt; a succeeded refund is never given back
		}
		if _, err := q.LockCustomer(ctx, r.CustomerID); err != nil {
			return fmt.Errorf("lock customer %s: %w", r.CustomerID, err)
		}
		if _, err := ledger.Post(ctx, q, ledger.WalletRefundReleaseJournal(r.ID, r.CustomerID, r.Currency, r.Amount)); err != nil {
			return err
		}
		if _, err := q.MarkWalletRefundFailed(ctx, db.MarkWalletRefundFailedParams{
			ID: r.ID, FailureCode: text(in.Code), FailureMessage: text(in.Message),
		}); err != nil {
			return fmt.Errorf("mark wallet refund %s failed: %w", r.ID, err)
		}
		return nil
	})
}
