package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/db"
)

// PayBatchInput is one PayoutBatch (issue 19, ADR 0025): payouts the run has
// claimed (each already a pending row, the durable record before any bank
// call), paid with at most Workers transfers in flight.
type PayBatchInput struct {
	PayoutIDs []string
	Workers   int
}

// PayoutOutcome is how one payout of a batch ended.
type PayoutOutcome struct {
	PayoutID string
	Status   string // paid | held | failed
	Reason   string
	Amount   int64
}

// PayBatchResult counts the batch's payouts by outcome; the ones not paid are
// listed with their reasons (the paid ones would only repeat the database).
type PayBatchResult struct {
	Paid, Held, Failed int
	PaidAmount         int64
	NotPaid            []PayoutOutcome
}

// Bounds of the retries inside a batch, per payout: the same as the Payout
// workflow's provider steps (6 attempts, 100 ms doubling to 3 s) for the bank,
// fewer for the booking, whose failure fails the activity (retried whole).
const (
	batchBankAttempts = 6
	batchBankFirst    = 100 * time.Millisecond
	batchBankMax      = 3 * time.Second
	batchBookAttempts = 3
)

// PayBatch pays a batch of claimed payouts: for each, in a bounded pool, verify
// the holder -> transfer under payout:{producer}:{period} (look it up when the
// bank's answer is lost or retries run out) -> book it and mark it paid, or
// hold it with a reason. Each step is idempotent by the payout's business key,
// so a retry of the whole activity (a crash, a heartbeat timeout) skips the
// payouts already paid or held and finishes the others with the same keys: no
// producer is paid twice. It fails only when the database does (after its own
// retries); per-payout bank refusals are outcomes, not errors.
func (p *Payouts) PayBatch(ctx context.Context, in PayBatchInput) (PayBatchResult, error) {
	rows, err := db.New(p.Pool).LoadPayoutBatch(ctx, in.PayoutIDs)
	if err != nil {
		return PayBatchResult{}, fmt.Errorf("load payout batch of %d: %w", len(in.PayoutIDs), err)
	}
	outcomes := make([]PayoutOutcome, len(rows))
	errs := make([]error, len(rows))
	var done atomic.Int64
	// A payout on a slow bank may take longer than the heartbeat timeout: beat
	// on a clock too, so only a dead worker misses it.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				heartbeat(ctx, done.Load())
			case <-stop:
				return
			}
		}
	}()
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(in.Workers, len(rows))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				outcomes[i], errs[i] = p.payOne(ctx, rows[i])
				heartbeat(ctx, done.Add(1))
			}
		}()
	}
feed:
	for i := range rows {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return PayBatchResult{}, fmt.Errorf("payout batch: %w", err)
	}
	if ctx.Err() != nil {
		return PayBatchResult{}, ctx.Err()
	}
	res := tallyBatch(outcomes)
	if missing := len(in.PayoutIDs) - len(rows); missing > 0 {
		res.Failed += missing // never claimed: nothing to pay, and a bug to look at
	}
	return res, nil
}

func tallyBatch(outcomes []PayoutOutcome) PayBatchResult {
	var res PayBatchResult
	for _, o := range outcomes {
		switch o.Status {
		case PayoutPaid:
			res.Paid++
			res.PaidAmount += o.Amount
			continue
		case PayoutHeld:
			res.Held++
		default:
			res.Failed++
		}
		res.NotPaid = append(res.NotPaid, o)
	}
	return res
}

// payOne takes one payout of the batch to its end. An error means the
// outcome is not recorded yet (the activity will be retried).
func (p *Payouts) payOne(ctx context.Context, row db.LoadPayoutBatchRow) (PayoutOutcome, error) {
	po := row.Payout
	out := PayoutOutcome{PayoutID: po.ID, Status: po.Status, Reason: po.Reason, Amount: po.Amount}
	if po.Status != PayoutPending {
		return out, nil // paid or held by an earlier attempt
	}
	account, err := p.Keys.Open(row.AccountSealed)
	if err != nil {
		return out, fmt.Errorf("open account of producer %s: %w", po.ProducerID, err)
	}
	m := Methods{Bank: p.Bank}
	err = retryBounded(ctx, batchBankAttempts, func() error {
		return m.CheckAccountHolder(ctx, CheckHolderInput{BankCode: row.BankCode, AccountNumber: account, HolderName: row.HolderName})
	})
	if err != nil {
		return p.holdUnlessCancelled(ctx, out, FailureOf(err, "holder_check_failed").Code)
	}
	var txn TransferResult
	err = retryBounded(ctx, batchBankAttempts, func() (err error) {
		txn, err = p.transfer(ctx, po, row.BankCode, account, row.HolderName)
		return err
	})
	if err != nil {
		// Declined for good, or retries ran out: the bank's record under our key decides.
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		found, ferr := p.findTransfer(ctx, po)
		if ferr != nil || !found.Found {
			return p.holdUnlessCancelled(ctx, out, FailureOf(err, "bank_unavailable").Code)
		}
		txn = found
	}
	// The money has left: book it (idempotent by the journal's key).
	err = retryBounded(ctx, batchBookAttempts, func() error {
		// The batch read the claimed row already: no second read to book it.
		return pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error { return book(ctx, db.New(tx), po, txn.TransactionID) })
	})
	if err != nil {
		return out, fmt.Errorf("book payout %s: %w", po.ID, err)
	}
	out.Status, out.Reason = PayoutPaid, ""
	return out, nil
}

// holdUnlessCancelled ends the payout held with the reason, unless the
// failure was this activity being cancelled or timed out: then nothing is
// decided, and the retry carries on with the same keys.
func (p *Payouts) holdUnlessCancelled(ctx context.Context, out PayoutOutcome, reason string) (PayoutOutcome, error) {
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	if err := p.SetPayoutStatus(ctx, SetPayoutStatusInput{PayoutID: out.PayoutID, Status: PayoutHeld, Reason: reason}); err != nil {
		return out, err
	}
	out.Status, out.Reason = PayoutHeld, reason
	return out, nil
}

// retryBounded calls fn up to attempts times, pausing 100 ms doubling to 3 s
// between tries, and stops at once on a non-retryable error (a decline, a
// holder mismatch) or a cancelled ctx. It returns the last error.
func retryBounded(ctx context.Context, attempts int, fn func() error) error {
	pause := batchBankFirst
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(); err == nil {
			return nil
		}
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.NonRetryable() {
			return err
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return err
		}
		pause = min(2*pause, batchBankMax)
	}
	return err
}

// heartbeat reports progress when running as an activity (tests call the
// method directly).
func heartbeat(ctx context.Context, done int64) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, done)
	}
}
