package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/bizreg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/pii"
)

// Payouts settles producers: it claims what each is owed at a cut-off (once per
// producer and period, by the database's unique key), verifies the account
// holder, transfers through the bank and books the transfer.
type Payouts struct {
	Pool *pgxpool.Pool
	Bank bank.Client
	Keys *pii.Keys // opens the producers' sealed account numbers
}

// payee is where a payout goes, the account number opened for this call only.
type payee struct {
	db.Producer
	AccountNumber string
}

// Payout statuses, as stored and returned by the API.
const (
	PayoutPending          = "pending"
	PayoutAwaitingApproval = "awaiting_approval"
	PayoutPaid             = "paid"
	PayoutHeld             = "held"
	PayoutFailed           = "failed"
)

// PayoutID is the payout's id and its workflow's id: payout-{producer}-{period}.
func PayoutID(producerID, period string) string { return "payout-" + producerID + "-" + period }

type StartRunInput struct {
	RunID      string
	ScheduleID string
	Period     string
	Cutoff     time.Time
	Currency   string
}

// StartRun records the run (once; a retry or a continued run changes nothing).
func (p *Payouts) StartRun(ctx context.Context, in StartRunInput) error {
	err := db.New(p.Pool).StartPayoutRun(ctx, db.StartPayoutRunParams{
		ID: in.RunID, ScheduleID: in.ScheduleID, Period: in.Period,
		Cutoff: pgtype.Timestamptz{Time: in.Cutoff, Valid: true}, Currency: in.Currency,
	})
	if err != nil {
		return fmt.Errorf("start payout run %s: %w", in.RunID, err)
	}
	return nil
}

type CompleteRunInput struct{ RunID string }

func (p *Payouts) CompleteRun(ctx context.Context, in CompleteRunInput) error {
	if err := db.New(p.Pool).CompletePayoutRun(ctx, in.RunID); err != nil {
		return fmt.Errorf("complete payout run %s: %w", in.RunID, err)
	}
	return nil
}

type ClaimPageInput struct {
	RunID     string
	Period    string
	Cutoff    time.Time
	Currency  string
	AfterID   string // producers after this id, in id order
	PageSize  int
	Threshold int64 // amounts above it wait for finance approval; 0 = never
}

type ClaimedPayout struct {
	PayoutID      string
	ProducerID    string
	Amount        int64
	NeedsApproval bool
}

type ClaimPageResult struct {
	Payouts   []ClaimedPayout // this run's payouts to start, in producer order
	Producers int             // producers looked at
	LastID    string          // the cursor for the next page
	Done      bool
}

// ClaimPage computes one page of producers' payables at the cut-off and claims a
// payout for each positive one, in one transaction. A producer already claimed
// for the period (by this run's earlier attempt or by another run) is not claimed
// again; the result lists only this run's payouts that still need a workflow.
// A producer on payout hold gets a held payout, so finance sees it.
func (p *Payouts) ClaimPage(ctx context.Context, in ClaimPageInput) (ClaimPageResult, error) {
	var res ClaimPageResult
	err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if err := q.LockPayoutClaims(ctx); err != nil {
			return fmt.Errorf("lock payout claims: %w", err)
		}
		rows, err := q.PayablesPage(ctx, db.PayablesPageParams{
			Currency: in.Currency, Cutoff: pgtype.Timestamptz{Time: in.Cutoff, Valid: true},
			AfterID: in.AfterID, PageSize: int32(in.PageSize),
		})
		if err != nil {
			return fmt.Errorf("payables after %q: %w", in.AfterID, err)
		}
		res = ClaimPageResult{Producers: len(rows), LastID: in.AfterID, Done: len(rows) < in.PageSize}
		ids := make([]string, 0, len(rows))
		for _, r := range rows {
			res.LastID = r.ID
			if r.Payable < 0 {
				// Refunds after confirmation exceed new sales: nothing is paid (never a
				// debit), the balance carries over; recorded for the statements.
				err := q.RecordCarryover(ctx, db.RecordCarryoverParams{
					ID: PayoutID(r.ID, in.Period), ProducerID: r.ID, Period: in.Period, RunID: in.RunID,
					Currency: in.Currency, Amount: r.Payable, BookedBy: bookedBy(in.Cutoff, r.SettlementDays),
				})
				if err != nil {
					return fmt.Errorf("record carry-over of %s for %s: %w", r.ID, in.Period, err)
				}
			}
			if r.Payable <= 0 {
				continue // nothing owed yet, or a negative balance carried forward
			}
			status, reason := PayoutPending, ""
			if why := holdReason(r); why != "" {
				status, reason = PayoutHeld, why
			}
			err := q.ClaimPayout(ctx, db.ClaimPayoutParams{
				ID: PayoutID(r.ID, in.Period), ProducerID: r.ID, Period: in.Period, RunID: in.RunID,
				Currency: in.Currency, Amount: r.Payable, Status: status, Reason: reason,
			})
			if err != nil {
				return fmt.Errorf("claim payout of %s for %s: %w", r.ID, in.Period, err)
			}
			if status == PayoutPending {
				// The entries this payout settles, for the statement: booked by the
				// same cut-off the payable was counted at.
				err := q.LinkSettlementEntries(ctx, db.LinkSettlementEntriesParams{
					PayoutID: PayoutID(r.ID, in.Period), ProducerID: r.ID, Currency: in.Currency,
					BookedBy: bookedBy(in.Cutoff, r.SettlementDays),
				})
				if err != nil {
					return fmt.Errorf("link settlement entries of %s: %w", r.ID, err)
				}
			}
			if status == PayoutHeld {
				po, err := q.GetPayout(ctx, PayoutID(r.ID, in.Period))
				if err != nil {
					return fmt.Errorf("load payout of %s for %s: %w", r.ID, in.Period, err)
				}
				if po.Status == PayoutHeld { // not an earlier claim in another state
					if err := emitPayoutHeld(ctx, q, po); err != nil {
						return err
					}
				}
			}
			ids = append(ids, r.ID)
		}
		claimed, err := q.ListRunPayoutsForProducers(ctx, db.ListRunPayoutsForProducersParams{RunID: in.RunID, ProducerIds: ids})
		if err != nil {
			return fmt.Errorf("list claimed payouts: %w", err)
		}
		for _, c := range claimed {
			if c.Status == PayoutHeld || c.Status == PayoutPaid {
				continue
			}
			res.Payouts = append(res.Payouts, ClaimedPayout{
				PayoutID: c.ID, ProducerID: c.ProducerID, Amount: c.Amount,
				NeedsApproval: in.Threshold > 0 && c.Amount > in.Threshold,
			})
		}
		return nil
	})
	return res, err
}

// bookedBy is the latest booking a run at cutoff counts for a producer paid D+days.
func bookedBy(cutoff time.Time, days int32) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: cutoff.AddDate(0, 0, -int(days)), Valid: true}
}

// holdReason says why a producer with money owed is not paid: finance put it
// on hold (with its reason), or it fails the onboarding checks (a business
// registration number present and well-formed). "" means pay it.
func holdReason(r db.PayablesPageRow) string {
	switch {
	case r.PayoutHold && r.HoldReason != "":
		return r.HoldReason
	case r.PayoutHold:
		return "producer_on_hold"
	case r.BusinessRegistrationNumber == "":
		return "business_registration_missing"
	case !bizreg.Valid(r.BusinessRegistrationNumber):
		return "business_registration_invalid"
	}
	return ""
}

type SetPayoutStatusInput struct {
	PayoutID string
	Status   string
	Reason   string
}

// SetPayoutStatus records a payout's state (never changing a paid one).
// A payout put on hold is announced (payout.held) in the same transaction.
func (p *Payouts) SetPayoutStatus(ctx context.Context, in SetPayoutStatusInput) error {
	return pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		err := q.SetPayoutStatus(ctx, db.SetPayoutStatusParams{ID: in.PayoutID, Status: in.Status, Reason: in.Reason})
		if err != nil {
			return fmt.Errorf("set payout %s %s: %w", in.PayoutID, in.Status, err)
		}
		if in.Status != PayoutHeld {
			return nil
		}
		po, err := q.GetPayout(ctx, in.PayoutID)
		if err != nil {
			return fmt.Errorf("load payout %s: %w", in.PayoutID, err)
		}
		if po.Status != PayoutHeld {
			return nil // already paid: nothing was held
		}
		// Nothing was paid: its settlement entries wait for the next run.
		if err := q.UnlinkSettlementEntries(ctx, pgtype.Text{String: po.ID, Valid: true}); err != nil {
			return fmt.Errorf("unlink settlement entries of %s: %w", po.ID, err)
		}
		return emitPayoutHeld(ctx, q, po)
	})
}

func emitPayoutHeld(ctx context.Context, q *db.Queries, po db.Payout) error {
	return emitEvent(ctx, q, EventPayoutHeld, "payout:"+po.ID+":held", po.ID, map[string]any{
		"payout_id": po.ID, "producer_id": po.ProducerID, "period": po.Period,
		"currency": po.Currency, "amount": po.Amount, "reason": po.Reason,
	})
}

type ApprovePayoutInput struct {
	PayoutID   string
	ApprovedBy string
}

func (p *Payouts) RecordApproval(ctx context.Context, in ApprovePayoutInput) error {
	if err := db.New(p.Pool).ApprovePayout(ctx, db.ApprovePayoutParams{ID: in.PayoutID, ApprovedBy: in.ApprovedBy}); err != nil {
		return fmt.Errorf("approve payout %s: %w", in.PayoutID, err)
	}
	return nil
}

type PayoutRef struct{ PayoutID string }

// VerifyPayee checks, at the bank, that the producer's account still belongs to
// the holder registered with it. A mismatch is ErrHolderMismatch (non-retryable).
func (p *Payouts) VerifyPayee(ctx context.Context, in PayoutRef) error {
	_, prod, err := p.load(ctx, in.PayoutID)
	if err != nil {
		return err
	}
	m := Methods{Bank: p.Bank}
	return m.CheckAccountHolder(ctx, CheckHolderInput{BankCode: prod.BankCode, AccountNumber: prod.AccountNumber, HolderName: prod.HolderName})
}

type TransferResult struct {
	Found         bool // for FindTransfer: the bank has a transfer under the key
	TransactionID string
}

// Transfer sends the payout to the producer's account under the idempotency key
// payout:{producer}:{period}, so a retry, a re-run or a reset never pays twice.
func (p *Payouts) Transfer(ctx context.Context, in PayoutRef) (TransferResult, error) {
	po, prod, err := p.load(ctx, in.PayoutID)
	if err != nil {
		return TransferResult{}, err
	}
	return p.transfer(ctx, po, prod.BankCode, prod.AccountNumber, prod.HolderName)
}

// transfer is one transfer attempt of the payout to the account, keyed
// payout:{producer}:{period}; an ambiguous answer is settled by a look-up.
func (p *Payouts) transfer(ctx context.Context, po db.Payout, bankCode, account, holder string) (TransferResult, error) {
	key := ledger.PayoutKey(po.ProducerID, po.Period)
	txn, err := p.Bank.Transfer(ctx, bank.MoveRequest{
		IdempotencyKey: key, BankCode: bankCode, AccountNumber: account,
		HolderName: holder, Amount: po.Amount, Currency: po.Currency, Memo: "paysaga " + po.Period,
	})
	if err != nil {
		var pe *adapters.Error
		if errors.As(err, &pe) && pe.Kind == adapters.Ambiguous {
			if found, ferr := p.findTransfer(ctx, po); ferr == nil && found.Found {
				return found, nil
			}
		}
		return TransferResult{}, providerError("transfer "+key, err, false)
	}
	return TransferResult{Found: true, TransactionID: txn.ID}, nil
}

// FindTransfer asks the bank whether a transfer exists under the payout's key:
// after retries ran out, the answer decides between booking it and holding it.
func (p *Payouts) FindTransfer(ctx context.Context, in PayoutRef) (TransferResult, error) {
	po, err := db.New(p.Pool).GetPayout(ctx, in.PayoutID)
	if err != nil {
		return TransferResult{}, fmt.Errorf("load payout %s: %w", in.PayoutID, err)
	}
	return p.findTransfer(ctx, po)
}

func (p *Payouts) findTransfer(ctx context.Context, po db.Payout) (TransferResult, error) {
	txn, err := p.Bank.GetByIdempotencyKey(ctx, ledger.PayoutKey(po.ProducerID, po.Period))
	var pe *adapters.Error
	if errors.As(err, &pe) && pe.Kind == adapters.NotFound {
		return TransferResult{}, nil
	}
	if err != nil {
		return TransferResult{}, fmt.Errorf("query transfer of %s: %w", po.ID, err)
	}
	return TransferResult{Found: true, TransactionID: txn.ID}, nil
}

type PostPayoutInput struct {
	PayoutID      string
	TransactionID string
}

// PostPayout books the transfer (Dr producer payable, Cr bank:payouts) and marks
// the payout paid, in one transaction.
func (p *Payouts) PostPayout(ctx context.Context, in PostPayoutInput) error {
	return pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		po, err := q.GetPayout(ctx, in.PayoutID)
		if err != nil {
			return fmt.Errorf("load payout %s: %w", in.PayoutID, err)
		}
		return book(ctx, q, po, in.TransactionID)
	})
}

// book posts the payout's journal (keyed payout:{producer}:{period}: a second
// booking changes nothing), marks it paid and announces it, in the caller's
// transaction. po is the claimed row, as read by the caller.
func book(ctx context.Context, q *db.Queries, po db.Payout, transactionID string) error {
	if _, err := ledger.Post(ctx, q, ledger.PayoutJournal(po.ProducerID, po.Period, po.Currency, po.Amount)); err != nil {
		return err
	}
	if err := q.MarkPayoutPaid(ctx, db.MarkPayoutPaidParams{ID: po.ID, BankTransactionID: transactionID}); err != nil {
		return fmt.Errorf("mark payout %s paid: %w", po.ID, err)
	}
	if err := q.ConfirmPayoutFromInbox(ctx, po.ID); err != nil {
		return fmt.Errorf("confirm payout %s from the inbox: %w", po.ID, err)
	}
	return emitEvent(ctx, q, EventPayoutPaid, "payout:"+po.ID+":paid", po.ID, map[string]any{
		"payout_id": po.ID, "producer_id": po.ProducerID, "period": po.Period,
		"currency": po.Currency, "amount": po.Amount,
	})
}

func (p *Payouts) load(ctx context.Context, payoutID string) (db.Payout, payee, error) {
	q := db.New(p.Pool)
	po, err := q.GetPayout(ctx, payoutID)
	if err != nil {
		return po, payee{}, fmt.Errorf("load payout %s: %w", payoutID, err)
	}
	prod, err := q.GetProducer(ctx, po.ProducerID)
	if err != nil {
		return po, payee{}, fmt.Errorf("load producer %s: %w", po.ProducerID, err)
	}
	account, err := p.Keys.Open(prod.AccountSealed)
	if err != nil {
		return po, payee{}, fmt.Errorf("open account of producer %s: %w", po.ProducerID, err)
	}
	return po, payee{Producer: prod, AccountNumber: account}, nil
}
