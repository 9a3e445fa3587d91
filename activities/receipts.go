package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/tax"
)

// Receipts issues and cancels cash receipts (현금영수증, issue 14) through a
// PG that offers them (pg.ReceiptsOf) and keeps their record in PostgreSQL
// (cash_receipts, cash_receipt_cancels). Every PG call carries a key built
// from the receipt's subject (receipt:{id}:issue, receipt:{id}:cancel:{refund}).
type Receipts struct {
	PGs  map[string]pg.Client // by PG name
	Keys *pii.Keys            // opens the customer's sealed receipt identity
	Pool *pgxpool.Pool
}

// ErrReceiptNotIssued: a cancel waits for its receipt to be issued first.
const ErrReceiptNotIssued = "ReceiptNotIssued"

// kst is Korea's time zone, the PG's calendar for look-ups by request date.
var kst = time.FixedZone("KST", 9*60*60)

// PlanCashReceiptInput is the receipt a payment (or a top-up) owes: its cash
// part and that part's tax-free share, computed by the workflow.
type PlanCashReceiptInput struct {
	ReceiptID    string // = PaymentID or TopUpID
	PaymentID    string
	TopUpID      string
	CustomerID   string
	Currency     string
	CoversMethod bool
	CoversWallet bool
	Amount       int64
	TaxFree      int64
}

// PlanCashReceipt writes the owed receipt (idempotent by its id).
func (r *Receipts) PlanCashReceipt(ctx context.Context, in PlanCashReceiptInput) error {
	if in.Amount <= 0 || in.TaxFree < 0 || in.TaxFree > in.Amount {
		return nonRetryable(ErrInvalidRequest, Failure{Code: "invalid_receipt", Message: "a receipt needs an amount > 0 and a tax-free part within it"}, nil)
	}
	_, err := db.New(r.Pool).CreateCashReceipt(ctx, db.CreateCashReceiptParams{
		ID: in.ReceiptID, PaymentID: text(in.PaymentID), TopupID: text(in.TopUpID), CustomerID: in.CustomerID,
		CoversMethod: in.CoversMethod, CoversWallet: in.CoversWallet, Currency: in.Currency, Amount: in.Amount, TaxFree: in.TaxFree,
	})
	if err != nil {
		return fmt.Errorf("plan cash receipt %s: %w", in.ReceiptID, err)
	}
	return nil
}

// ReceiptRef names a receipt and the PGs that may issue it, in routing order:
// the first that offers cash receipts is chosen at the first attempt and kept.
type ReceiptRef struct {
	ReceiptID string
	PGs       []string
}

// CashReceiptState is the receipt as recorded after the call.
type CashReceiptState struct {
	Status      string // pending | issued | registered | failed | canceled
	PG          string
	ReceiptKey  string
	IssueNumber string
}

func stateOf(row db.CashReceipt) CashReceiptState {
	return CashReceiptState{Status: row.Status, PG: row.Pg.String, ReceiptKey: row.ReceiptKey.String, IssueNumber: row.IssueNumber.String}
}

// IssueCashReceipt issues the receipt at its PG on the customer's preference
// (or voluntarily to the NTS self-issue number). A receipt already issued is
// answered as recorded; an answer lost on the way is found by the look-up.
func (r *Receipts) IssueCashReceipt(ctx context.Context, in ReceiptRef) (CashReceiptState, error) {
	q := db.New(r.Pool)
	row, err := q.GetCashReceipt(ctx, in.ReceiptID)
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("load cash receipt %s: %w", in.ReceiptID, err)
	}
	if row.ReceiptKey.Valid {
		return stateOf(row), nil
	}
	typ, identity, err := r.identity(ctx, q, row.CustomerID)
	if err != nil {
		return CashReceiptState{}, err
	}
	name, conn, err := r.connector(row.Pg.String, in.PGs)
	if err != nil {
		return CashReceiptState{}, err
	}
	row, err = q.ClaimCashReceiptAttempt(ctx, db.ClaimCashReceiptAttemptParams{
		ID: row.ID, Pg: text(name), RequestDate: text(time.Now().In(kst).Format("2006-01-02")),
		ReceiptType: text(typ), IdentityLast4: text(identity[len(identity)-4:]), SelfIssued: identity == pg.SelfIssueNumber,
	})
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("claim cash receipt %s: %w", in.ReceiptID, err)
	}
	got, err := conn.IssueCashReceipt(ctx, pg.IssueCashReceiptRequest{
		IdempotencyKey: "receipt:" + row.ID + ":issue", OrderID: row.ID, Amount: row.Amount, TaxFreeAmount: row.TaxFree,
		Type: typ, Identity: identity,
	})
	if err != nil {
		// ALREADY_ISSUED (the key expired) or a lost answer: the look-up tells.
		found, ferr := conn.FindCashReceipt(ctx, row.ID, row.RequestDate.String)
		if ferr != nil {
			_ = q.RecordCashReceiptError(ctx, db.RecordCashReceiptErrorParams{ID: row.ID, LastError: text(err.Error())})
			return CashReceiptState{}, providerError("issue cash receipt "+row.ID, err, false)
		}
		got = found
	}
	return r.recordIssued(ctx, q, row.ID, got)
}

// recordIssued stores the PG's receipt key and, when the NTS already has it,
// its registration.
func (r *Receipts) recordIssued(ctx context.Context, q *db.Queries, id string, got pg.CashReceipt) (CashReceiptState, error) {
	row, err := q.MarkCashReceiptIssued(ctx, db.MarkCashReceiptIssuedParams{ID: id, ReceiptKey: text(got.ReceiptKey), ReceiptUrl: text(got.ReceiptURL)})
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("record cash receipt %s: %w", id, err)
	}
	if got.Status == pg.ReceiptRegistered {
		if row, err = q.MarkCashReceiptRegistered(ctx, db.MarkCashReceiptRegisteredParams{ID: id, IssueNumber: text(got.IssueNumber)}); err != nil {
			return CashReceiptState{}, fmt.Errorf("record registration of %s: %w", id, err)
		}
	}
	return stateOf(row), nil
}

// identity is the receipt type and the digits it is issued on: the customer's
// preference, or the voluntary self-issue number when there is none.
func (r *Receipts) identity(ctx context.Context, q *db.Queries, customerID string) (string, string, error) {
	pref, err := q.GetCashReceiptPreference(ctx, customerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return pg.ReceiptIncomeDeduction, pg.SelfIssueNumber, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("load receipt preference of %s: %w", customerID, err)
	}
	digits, err := r.Keys.Open(pref.IdentitySealed)
	if err != nil {
		return "", "", fmt.Errorf("open receipt identity of %s: %w", customerID, err)
	}
	return pref.ReceiptType, digits, nil
}

// connector is the PG the receipt was first tried at, else the first of pgs
// that offers cash receipts: a capability, never a provider's name.
func (r *Receipts) connector(chosen string, pgs []string) (string, pg.CashReceipts, error) {
	if chosen != "" {
		pgs = []string{chosen}
	}
	for _, name := range pgs {
		if c, ok := r.PGs[name]; ok {
			if rc, ok := pg.ReceiptsOf(c); ok {
				return name, rc, nil
			}
		}
	}
	return "", nil, nonRetryable(ErrInvalidRequest, Failure{Code: "no_receipt_connector",
		Message: fmt.Sprintf("none of the PGs %v issues cash receipts", pgs)}, nil)
}

// ObserveCashReceipt looks the receipt up at its PG and records the NTS's
// registration once the PG reports it.
func (r *Receipts) ObserveCashReceipt(ctx context.Context, in ReceiptRef) (CashReceiptState, error) {
	q := db.New(r.Pool)
	row, err := q.GetCashReceipt(ctx, in.ReceiptID)
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("load cash receipt %s: %w", in.ReceiptID, err)
	}
	if row.Status != "issued" {
		return stateOf(row), nil
	}
	_, conn, err := r.connector(row.Pg.String, nil)
	if err != nil {
		return CashReceiptState{}, err
	}
	got, err := conn.FindCashReceipt(ctx, row.ID, row.RequestDate.String)
	if err != nil {
		return CashReceiptState{}, providerError("look up cash receipt "+row.ID, err, false)
	}
	if got.Status != pg.ReceiptRegistered {
		return stateOf(row), nil
	}
	row, err = q.MarkCashReceiptRegistered(ctx, db.MarkCashReceiptRegisteredParams{ID: row.ID, IssueNumber: text(got.IssueNumber)})
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("record registration of %s: %w", in.ReceiptID, err)
	}
	return stateOf(row), nil
}

type FailCashReceiptInput struct {
	ReceiptID string
	Reason    string
}

// FailCashReceipt marks a receipt the PG refused for good: an ops item.
func (r *Receipts) FailCashReceipt(ctx context.Context, in FailCashReceiptInput) error {
	return db.New(r.Pool).FailCashReceipt(ctx, db.FailCashReceiptParams{ID: in.ReceiptID, LastError: text(in.Reason)})
}

type ReceiptEventInput struct {
	ReceiptID string
	Step      string
	Detail    map[string]string
}

// ReceiptEvent puts a receipt's step on its payment's timeline (a top-up has
// none: its receipt's state is on the receipt row and the workflow).
func (r *Receipts) ReceiptEvent(ctx context.Context, in ReceiptEventInput) error {
	q := db.New(r.Pool)
	row, err := q.GetCashReceipt(ctx, in.ReceiptID)
	if err != nil {
		return fmt.Errorf("load cash receipt %s: %w", in.ReceiptID, err)
	}
	if !row.PaymentID.Valid {
		return nil
	}
	return recordEvent(ctx, q, row.PaymentID.String, in.Step, in.Detail)
}

type PlanCashReceiptCancelInput struct {
	RefundID string
}

// PlanCashReceiptCancelResult is the cancel a refund owes; Amount 0: none
// (a card payment, or a refund of no receipted tender).
type PlanCashReceiptCancelResult struct {
	ReceiptID string
	Amount    int64
	TaxFree   int64
}

// PlanCashReceiptCancel records what a booked refund takes back from the
// payment's receipt: the refund's slice of the receipted tenders (the bank
// account's part, the wallet's, or both), with the tax-free share of that
// slice of the receipt by the cumulative rule of package tax, so the cancels
// together never exceed the receipt's tax-free amount and a full refund gives
// it all back.
func (r *Receipts) PlanCashReceiptCancel(ctx context.Context, in PlanCashReceiptCancelInput) (PlanCashReceiptCancelResult, error) {
	var out PlanCashReceiptCancelResult
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		rf, err := q.GetRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("load refund %s: %w", in.RefundID, err)
		}
		rc, err := q.GetCashReceiptOfPayment(ctx, text(rf.PaymentID))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load cash receipt of %s: %w", rf.PaymentID, err)
		}
		if rc, err = q.GetCashReceiptForUpdate(ctx, rc.ID); err != nil {
			return fmt.Errorf("lock cash receipt %s: %w", rc.ID, err)
		}
		if c, err := q.GetCashReceiptCancel(ctx, in.RefundID); err == nil {
			out = PlanCashReceiptCancelResult{ReceiptID: rc.ID, Amount: c.Amount, TaxFree: c.TaxFree}
			return nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load receipt cancel %s: %w", in.RefundID, err)
		}
		pay, err := q.GetPayment(ctx, rf.PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", rf.PaymentID, err)
		}
		card, wallet, _ := refundTenders(pay, rf.RefundedBefore, rf.Amount) // points owe no receipt
		var amount int64
		if rc.CoversMethod {
			amount += card
		}
		if rc.CoversWallet {
			amount += wallet
		}
		before, err := q.SumCashReceiptCancels(ctx, rc.ID)
		if err != nil {
			return fmt.Errorf("sum cancels of %s: %w", rc.ID, err)
		}
		amount = min(amount, rc.Amount-before)
		if amount <= 0 {
			return nil
		}
		c, err := q.CreateCashReceiptCancel(ctx, db.CreateCashReceiptCancelParams{
			RefundID: in.RefundID, ReceiptID: rc.ID, Amount: amount, CancelledBefore: before,
			TaxFree: tax.SliceTaxFree(rc.Amount, rc.TaxFree, before, amount),
		})
		if err != nil {
			return fmt.Errorf("plan receipt cancel %s: %w", in.RefundID, err)
		}
		out = PlanCashReceiptCancelResult{ReceiptID: rc.ID, Amount: c.Amount, TaxFree: c.TaxFree}
		return nil
	})
	return out, err
}

type CancelCashReceiptInput struct {
	RefundID string
}

// CancelCashReceipt takes the planned part of the receipt back at its PG. A
// receipt not issued yet (its PG was down) is ErrReceiptNotIssued: the
// workflow waits for it, then cancels.
func (r *Receipts) CancelCashReceipt(ctx context.Context, in CancelCashReceiptInput) (CashReceiptState, error) {
	q := db.New(r.Pool)
	c, err := q.GetCashReceiptCancel(ctx, in.RefundID)
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("load receipt cancel %s: %w", in.RefundID, err)
	}
	row, err := q.GetCashReceipt(ctx, c.ReceiptID)
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("load cash receipt %s: %w", c.ReceiptID, err)
	}
	if c.Status == "done" {
		return stateOf(row), nil
	}
	if !row.ReceiptKey.Valid {
		return CashReceiptState{}, nonRetryable(ErrReceiptNotIssued, Failure{Code: "receipt_not_issued",
			Message: "cash receipt " + row.ID + " is " + row.Status + "; its cancel waits"}, nil)
	}
	_, conn, err := r.connector(row.Pg.String, nil)
	if err != nil {
		return CashReceiptState{}, err
	}
	_, err = conn.CancelCashReceipt(ctx, pg.CancelCashReceiptRequest{
		IdempotencyKey: "receipt:" + row.ID + ":cancel:" + in.RefundID, ReceiptKey: row.ReceiptKey.String, Amount: c.Amount,
	})
	if err != nil {
		return CashReceiptState{}, providerError("cancel cash receipt "+row.ID, err, false)
	}
	err = pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		n, err := q.MarkCashReceiptCancelDone(ctx, in.RefundID)
		if err != nil || n == 0 { // n == 0: recorded by an earlier attempt
			return err
		}
		if err := q.AddCashReceiptCancelled(ctx, db.AddCashReceiptCancelledParams{ID: row.ID, Amount: c.Amount, TaxFree: c.TaxFree}); err != nil {
			return err
		}
		return recordEvent(ctx, q, row.PaymentID.String, "cash_receipt_cancelled:"+in.RefundID,
			map[string]string{"amount": fmt.Sprint(c.Amount), "tax_free": fmt.Sprint(c.TaxFree)})
	})
	if err != nil {
		return CashReceiptState{}, fmt.Errorf("record receipt cancel %s: %w", in.RefundID, err)
	}
	if row, err = q.GetCashReceipt(ctx, row.ID); err != nil {
		return CashReceiptState{}, fmt.Errorf("load cash receipt %s: %w", c.ReceiptID, err)
	}
	return stateOf(row), nil
}
