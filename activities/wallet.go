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

// Wallet moves money into customers' prepaid wallets: it reserves a top-up
// against the wallet's limits, debits the customer's bank account, books the
// credit, and gives the money back when the credit can never be booked. Bank
// calls carry keys built from the top-up id (topup:{id}:debit, topup:{id}:reverse).
type Wallet struct {
	Bank bank.Client
	Keys *pii.Keys
	Pool *pgxpool.Pool
}

type ReserveTopUpInput struct {
	TopUpID    string
	CustomerID string
	MethodID   string
	Currency   string
	Amount     int64
	Cap        int64 // largest balance the wallet may reach
	DailyLimit int64 // top-ups per customer per day
	HourlyMax  int64 // top-ups started per customer per hour; 0 = unlimited
	WorkflowID string
}

// ReserveTopUp checks the customer's verification, the method, the balance cap
// and the daily limit, and records the top-up as processing, all in one
// transaction holding the customer's row lock: concurrent top-ups are checked
// one after the other, each counting those still processing.
func (w *Wallet) ReserveTopUp(ctx context.Context, in ReserveTopUpInput) error {
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		cus, err := q.LockCustomer(ctx, in.CustomerID)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid("customer_not_found", "no customer "+in.CustomerID)
		}
		if err != nil {
			return fmt.Errorf("lock customer %s: %w", in.CustomerID, err)
		}
		if _, err := q.GetTopUp(ctx, in.TopUpID); err == nil {
			return nil // reserved by an earlier attempt
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load top-up %s: %w", in.TopUpID, err)
		}
		if !cus.IdentityVerifiedAt.Valid {
			return invalid("identity_verification_required", "the customer must verify their identity before topping up")
		}
		if _, err := q.GetBankDebitAccount(ctx, in.MethodID); errors.Is(err, pgx.ErrNoRows) {
			return invalid("unknown_payment_method", "the method is not a bank account registered for debits")
		} else if err != nil {
			return fmt.Errorf("load debit account of %s: %w", in.MethodID, err)
		}
		raw, err := q.AccountBalance(ctx, db.AccountBalanceParams{Account: ledger.Wallet(in.CustomerID), Currency: in.Currency})
		if err != nil {
			return fmt.Errorf("wallet balance of %s: %w", in.CustomerID, err)
		}
		pending, err := q.ProcessingTopUpsTotal(ctx, db.ProcessingTopUpsTotalParams{CustomerID: in.CustomerID, Currency: in.Currency})
		if err != nil {
			return fmt.Errorf("processing top-ups of %s: %w", in.CustomerID, err)
		}
		if -raw+pending+in.Amount > in.Cap {
			return nonRetryable(ErrLimitExceeded, Failure{Code: "wallet_cap_exceeded",
				Message: fmt.Sprintf("the wallet may hold at most %d; it holds %d with %d on the way", in.Cap, -raw, pending)}, nil)
		}
		today, err := q.TopUpsTodayTotal(ctx, db.TopUpsTodayTotalParams{CustomerID: in.CustomerID, Currency: in.Currency})
		if err != nil {
			return fmt.Errorf("today's top-ups of %s: %w", in.CustomerID, err)
		}
		if today+in.Amount > in.DailyLimit {
			return nonRetryable(ErrLimitExceeded, Failure{Code: "daily_topup_limit_exceeded",
				Message: fmt.Sprintf("top-ups are limited to %d a day; %d already today", in.DailyLimit, today)}, nil)
		}
		if in.HourlyMax > 0 {
			n, err := q.TopUpsLastHour(ctx, in.CustomerID)
			if err != nil {
				return fmt.Errorf("top-ups of %s in the last hour: %w", in.CustomerID, err)
			}
			if n >= in.HourlyMax {
				return nonRetryable(ErrLimitExceeded, Failure{Code: "topup_velocity_exceeded",
					Message: fmt.Sprintf("at most %d top-ups an hour; try again later", in.HourlyMax)}, nil)
			}
		}
		_, err = q.CreateTopUp(ctx, db.CreateTopUpParams{
			ID: in.TopUpID, CustomerID: in.CustomerID, MethodID: in.MethodID, Currency: in.Currency,
			Amount: in.Amount, WorkflowID: in.WorkflowID,
		})
		if err != nil {
			return fmt.Errorf("create top-up %s: %w", in.TopUpID, err)
		}
		return nil
	})
}

type TopUpRef struct {
	TopUpID string
}

// DebitBank withdraws the top-up from the customer's bank account (출금이체)
// under the key topup:{id}:debit: however often it runs, the bank debits once.
func (w *Wallet) DebitBank(ctx context.Context, in TopUpRef) error {
	top, acct, err := w.load(ctx, in.TopUpID)
	if err != nil {
		return err
	}
	if top.BankTransactionID.Valid {
		// An earlier run of this step was debited and recorded it, but its result
		// was lost with the workflow task (a worker died, or the task's completion
		// failed): local activities then run again. Asking the bank again could
		// only fail (a fault, an outage) and send a debited, possibly already
		// credited top-up into the reversal.
		return nil
	}
	key := "topup:" + in.TopUpID + ":debit"
	txn, err := w.Bank.Debit(ctx, bank.MoveRequest{
		IdempotencyKey: key, BankCode: acct.BankCode, AccountNumber: acct.number, HolderName: acct.HolderName,
		Amount: top.Amount, Currency: top.Currency, Memo: "paysaga wallet top-up",
	})
	if adapters.Is(err, adapters.Ambiguous) {
		if found, qerr := w.Bank.GetByIdempotencyKey(ctx, key); qerr == nil {
			txn, err = found, nil
		}
	}
	if err != nil {
		return providerError("debit for top-up "+in.TopUpID, err, false)
	}
	if err := db.New(w.Pool).SetTopUpBankTransaction(ctx, db.SetTopUpBankTransactionParams{
		ID: in.TopUpID, BankTransactionID: text(txn.ID),
	}); err != nil {
		return fmt.Errorf("record debit of top-up %s: %w", in.TopUpID, err)
	}
	return nil
}

// CreditWallet books the debited top-up to the wallet and marks it succeeded,
// in one transaction; the journal key topup:{id}:credit posts once.
func (w *Wallet) CreditWallet(ctx context.Context, in TopUpRef) error {
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		top, err := q.GetTopUp(ctx, in.TopUpID)
		if err != nil {
			return fmt.Errorf("load top-up %s: %w", in.TopUpID, err)
		}
		// The credit moves the amount from "processing" to the balance. Under the
		// customer's lock, a reservation reading both (in two statements) can
		// never see it in neither.
		if _, err := q.LockCustomer(ctx, top.CustomerID); err != nil {
			return fmt.Errorf("lock customer %s: %w", top.CustomerID, err)
		}
		if _, err := ledger.Post(ctx, q, ledger.TopUpJournal(top.ID, top.CustomerID, top.Currency, top.Amount)); err != nil {
			return err
		}
		if _, err := q.MarkTopUpSucceeded(ctx, top.ID); err != nil {
			return fmt.Errorf("mark top-up %s succeeded: %w", top.ID, err)
		}
		return emitEvent(ctx, q, EventTopUpSucceeded, "topup:"+top.ID+":succeeded", top.ID, map[string]any{
			"topup_id": top.ID, "customer_id": top.CustomerID, "currency": top.Currency, "amount": top.Amount,
		})
	})
}

type ReverseDebitResult struct {
	Reversed bool // false: the bank holds no debit under the top-up's key
	// Credited: the wallet was already credited (by an earlier run whose result
	// was lost), so nothing is given back and the top-up stands as succeeded.
	Credited bool
}

// ReverseDebit gives a debited top-up back (송금 to the same account) under the
// key topup:{id}:reverse. It first asks the bank for the debit by its key, so it
// also cleans up after a debit whose outcome stayed unknown.
func (w *Wallet) ReverseDebit(ctx context.Context, in TopUpRef) (ReverseDebitResult, error) {
	top, acct, err := w.load(ctx, in.TopUpID)
	if err != nil {
		return ReverseDebitResult{}, err
	}
	if top.Status == "succeeded" {
		// CreditWallet booked the ledger and this status in one transaction: the
		// debit is in the wallet. Giving it back too would pay the customer twice.
		return ReverseDebitResult{Credited: true}, nil
	}
	debit, err := w.Bank.GetByIdempotencyKey(ctx, "topup:"+in.TopUpID+":debit")
	if adapters.Is(err, adapters.NotFound) {
		return ReverseDebitResult{}, nil
	}
	if err != nil {
		return ReverseDebitResult{}, providerError("find debit of top-up "+in.TopUpID, err, false)
	}
	_, err = w.Bank.Transfer(ctx, bank.MoveRequest{
		IdempotencyKey: "topup:" + in.TopUpID + ":reverse", BankCode: acct.BankCode, AccountNumber: acct.number,
		HolderName: acct.HolderName, Amount: debit.Amount, Currency: top.Currency, Memo: "paysaga wallet top-up reversed",
	})
	if err != nil {
		return ReverseDebitResult{}, providerError("reverse top-up "+in.TopUpID, err, false)
	}
	return ReverseDebitResult{Reversed: true}, nil
}

type FailTopUpInput struct {
	TopUpID string
	Status  string // failed | reversed
	Code    string
	Message string
}

// FailTopUp ends a top-up that did not credit the wallet; it then no longer
// counts against the limits.
func (w *Wallet) FailTopUp(ctx context.Context, in FailTopUpInput) error {
	_, err := db.New(w.Pool).MarkTopUpFailed(ctx, db.MarkTopUpFailedParams{
		ID: in.TopUpID, Status: in.Status, FailureCode: text(in.Code), FailureMessage: text(in.Message),
	})
	if err != nil {
		return fmt.Errorf("mark top-up %s %s: %w", in.TopUpID, in.Status, err)
	}
	return nil
}

type debitAccount struct {
	db.BankDebitAccount
	number string
}

func (w *Wallet) load(ctx context.Context, topUpID string) (db.WalletTopup, debitAccount, error) {
	q := db.New(w.Pool)
	top, err := q.GetTopUp(ctx, topUpID)
	if err != nil {
		return db.WalletTopup{}, debitAccount{}, fmt.Errorf("load top-up %s: %w", topUpID, err)
	}
	acct, err := q.GetBankDebitAccount(ctx, top.MethodID)
	if err != nil {
		return db.WalletTopup{}, debitAccount{}, fmt.Errorf("load debit account of %s: %w", top.MethodID, err)
	}
	number, err := w.Keys.Open(acct.AccountNumberSealed)
	if err != nil {
		return db.WalletTopup{}, debitAccount{}, fmt.Errorf("open account of %s: %w", top.MethodID, err)
	}
	return top, debitAccount{BankDebitAccount: acct, number: number}, nil
}

func invalid(code, message string) error {
	return nonRetryable(ErrInvalidRequest, Failure{Code: code, Message: message}, nil)
}

type HoldWalletInput struct {
	PaymentID  string
	CustomerID string
	Currency   string
	Amount     int64
}

// HoldWallet holds the wallet part of a checkout. Under the customer's row lock
// it checks the amount against the balance minus the active holds, so however
// many checkouts run at once the holds never exceed the balance; a short wallet
// is a non-retryable Declined insufficient_wallet_balance.
func (w *Wallet) HoldWallet(ctx context.Context, in HoldWalletInput) error {
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.LockCustomer(ctx, in.CustomerID); errors.Is(err, pgx.ErrNoRows) {
			return invalid("customer_not_found", "no customer "+in.CustomerID)
		} else if err != nil {
			return fmt.Errorf("lock customer %s: %w", in.CustomerID, err)
		}
		if pay, err := q.GetPayment(ctx, in.PaymentID); err == nil && (pay.Status == "failed" || pay.Status == "canceled") {
			return errPaymentClosed(in.PaymentID) // a re-run task of a checkout that already failed
		} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load payment %s: %w", in.PaymentID, err)
		}
		if _, err := q.GetWalletHold(ctx, in.PaymentID); err == nil {
			return nil // held by an earlier attempt
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load hold of %s: %w", in.PaymentID, err)
		}
		raw, err := q.AccountBalance(ctx, db.AccountBalanceParams{Account: ledger.Wallet(in.CustomerID), Currency: in.Currency})
		if err != nil {
			return fmt.Errorf("wallet balance of %s: %w", in.CustomerID, err)
		}
		held, err := q.ActiveHoldsTotal(ctx, db.ActiveHoldsTotalParams{CustomerID: in.CustomerID, Currency: in.Currency})
		if err != nil {
			return fmt.Errorf("wallet holds of %s: %w", in.CustomerID, err)
		}
		if available := -raw - held; in.Amount > available {
			return nonRetryable(ErrDeclined, Failure{Code: "insufficient_wallet_balance",
				Message: fmt.Sprintf("the wallet has %d available", max(available, 0))}, nil)
		}
		if err := q.CreateWalletHold(ctx, db.CreateWalletHoldParams{
			PaymentID: in.PaymentID, CustomerID: in.CustomerID, Currency: in.Currency, Amount: in.Amount,
		}); err != nil {
			return fmt.Errorf("hold wallet for %s: %w", in.PaymentID, err)
		}
		return nil
	})
}

type HoldRef struct {
	PaymentID string
}

// ReleaseHold gives a failed checkout's hold back (idempotent; a captured hold stays).
func (w *Wallet) ReleaseHold(ctx context.Context, in HoldRef) error {
	if _, err := db.New(w.Pool).ReleaseWalletHold(ctx, in.PaymentID); err != nil {
		return fmt.Errorf("release hold of %s: %w", in.PaymentID, err)
	}
	return nil
}

// captureHold turns a payment's active hold into its ledger posting's
// counterpart, under the customer's lock (see HoldWallet). Part of PostCapture.
func captureHold(ctx context.Context, q *db.Queries, paymentID, customerID string) error {
	if _, err := q.LockCustomer(ctx, customerID); err != nil {
		return fmt.Errorf("lock customer %s: %w", customerID, err)
	}
	n, err := q.CaptureWalletHold(ctx, paymentID)
	if err != nil {
		return fmt.Errorf("capture hold of %s: %w", paymentID, err)
	}
	if n == 0 {
		h, err := q.GetWalletHold(ctx, paymentID)
		if err != nil || h.Status != "captured" {
			return fmt.Errorf("payment %s has no active wallet hold (%v)", paymentID, err)
		}
	}
	return nil
}
