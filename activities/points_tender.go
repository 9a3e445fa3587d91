package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysaga/paysaga/apportion"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// Points as a checkout tender (issue 15, ADR 0022): the points part is held
// like the wallet part (ADR 0005), spent at the posting from the buckets
// first in first out by expiry, and given back by refunds in proportion.

// ReturnedPointsValidity is how long points returned by a refund last when
// the bucket they were spent from has expired since (ADR 0022).
const ReturnedPointsValidity = 30 * 24 * time.Hour

type HoldPointsInput struct {
	PaymentID  string
	CustomerID string
	Currency   string
	Amount     int64
}

// HoldPoints holds the points part of a checkout. Under the customer's row
// lock it checks the amount against the points balance minus the active
// holds, so however many checkouts run at once the holds never exceed the
// balance; short points are a non-retryable Declined insufficient_points.
func (p *Points) HoldPoints(ctx context.Context, in HoldPointsInput) error {
	return pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
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
		if _, err := q.GetPointsHold(ctx, in.PaymentID); err == nil {
			return nil // held by an earlier attempt
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load points hold of %s: %w", in.PaymentID, err)
		}
		available, err := q.PointsAvailable(ctx, db.PointsAvailableParams{
			Account: ledger.Points(in.CustomerID), CustomerID: in.CustomerID, Currency: in.Currency,
		})
		if err != nil {
			return fmt.Errorf("points available to %s: %w", in.CustomerID, err)
		}
		if in.Amount > available {
			return nonRetryable(ErrDeclined, Failure{Code: "insufficient_points",
				Message: fmt.Sprintf("the customer has %d points available", max(available, 0))}, nil)
		}
		if err := q.CreatePointsHold(ctx, db.CreatePointsHoldParams{
			PaymentID: in.PaymentID, CustomerID: in.CustomerID, Currency: in.Currency, Amount: in.Amount,
		}); err != nil {
			return fmt.Errorf("hold points for %s: %w", in.PaymentID, err)
		}
		return nil
	})
}

// ReleasePointsHold gives a failed checkout's points hold back (idempotent;
// a captured hold stays).
func (p *Points) ReleasePointsHold(ctx context.Context, in HoldRef) error {
	if _, err := db.New(p.Pool).ReleasePointsHold(ctx, in.PaymentID); err != nil {
		return fmt.Errorf("release points hold of %s: %w", in.PaymentID, err)
	}
	return nil
}

// spendPoints turns a payment's points hold into the points_spend journal,
// taking the points from the customer's buckets first in first out by expiry
// and recording which bucket gave how much (points_spends). It returns the
// capture journal j with the points part booked against points:clearing
// instead of pgAccount. Part of PostCapture's transaction; a retry after it
// committed finds the spend journal and changes no bucket again.
func spendPoints(ctx context.Context, q *db.Queries, pay db.Payment, pgAccount string, j ledger.Journal) (ledger.Journal, error) {
	j = ledger.FundWithPoints(j, pgAccount, pay.PointsAmount)
	if _, err := q.LockCustomer(ctx, pay.CustomerID); err != nil {
		return j, fmt.Errorf("lock customer %s: %w", pay.CustomerID, err)
	}
	if _, err := q.GetJournalTransactionByKey(ctx, ledger.PointsSpendKey(pay.ID)); err == nil {
		return j, nil // spent by an earlier attempt
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return j, fmt.Errorf("read points spend of %s: %w", pay.ID, err)
	}
	if n, err := q.CapturePointsHold(ctx, pay.ID); err != nil {
		return j, fmt.Errorf("capture points hold of %s: %w", pay.ID, err)
	} else if n == 0 {
		return j, fmt.Errorf("payment %s has no active points hold", pay.ID)
	}
	buckets, err := q.LockSpendablePointsBuckets(ctx, db.LockSpendablePointsBucketsParams{CustomerID: pay.CustomerID, Currency: pay.Currency})
	if err != nil {
		return j, fmt.Errorf("points buckets of %s: %w", pay.CustomerID, err)
	}
	left := pay.PointsAmount
	for i, b := range buckets {
		if left == 0 {
			break
		}
		take := min(b.Remaining, left)
		if err := q.TakeFromPointsBucket(ctx, db.TakeFromPointsBucketParams{ID: b.ID, Amount: take}); err != nil {
			return j, fmt.Errorf("spend bucket %d for %s: %w", b.ID, pay.ID, err)
		}
		if err := q.InsertPointsSpend(ctx, db.InsertPointsSpendParams{PaymentID: pay.ID, BucketID: b.ID, Seq: int32(i), Amount: take}); err != nil {
			return j, fmt.Errorf("record spend of bucket %d for %s: %w", b.ID, pay.ID, err)
		}
		left -= take
	}
	if left > 0 {
		// Points expired between the hold and the posting: the checkout fails and
		// its compensation gives the card part back.
		return j, nonRetryable(ErrDeclined, Failure{Code: "insufficient_points",
			Message: fmt.Sprintf("%d of the held points expired before the payment was booked", left)}, nil)
	}
	if _, err := ledger.Post(ctx, q, ledger.SpendPointsJournal(pay.ID, pay.CustomerID, pay.Currency, pay.PointsAmount)); err != nil {
		return j, fmt.Errorf("post points spend of %s: %w", pay.ID, err)
	}
	return j, nil
}

// refundTenders splits the slice [before, before+amount) of a payment over
// its tenders (apportion.Tenders, in the order wallet, points, card): what
// goes back through the PG, to the wallet and to the points. A payment
// without points splits exactly as ledger.SplitRefund did.
func refundTenders(pay db.Payment, before, amount int64) (card, wallet, points int64) {
	s := apportion.Tenders([]int64{pay.WalletAmount, pay.PointsAmount, pay.Amount - pay.WalletAmount - pay.PointsAmount}, before, amount)
	return s[2], s[0], s[1]
}

// returnPoints gives a refund's points part back, in the same transaction
// as the refund's journal: spread over the buckets the payment spent in
// proportion, cumulatively over the payment's refunds (apportion.Tenders
// over the spends, from the points the refunds before it returned), so that
// refunding everything in any slices returns every bucket exactly what it
// gave. A bucket keeps its expiry; one that has expired since gets nothing
// back and the points go to a new bucket lasting ReturnedPointsValidity.
func returnPoints(ctx context.Context, q *db.Queries, pay db.Payment, rf db.Refund, points int64, now time.Time) error {
	if points == 0 {
		return nil
	}
	if _, err := q.LockCustomer(ctx, pay.CustomerID); err != nil {
		return fmt.Errorf("lock customer %s: %w", pay.CustomerID, err)
	}
	spends, err := q.ListPointsSpends(ctx, pay.ID)
	if err != nil {
		return fmt.Errorf("points spends of %s: %w", pay.ID, err)
	}
	weights := make([]int64, len(spends))
	for i, s := range spends {
		weights[i] = s.Amount
	}
	_, _, returnedBefore := refundTenders(pay, 0, rf.RefundedBefore)
	shares := apportion.Tenders(weights, returnedBefore, points)
	for i, s := range spends {
		if shares[i] == 0 {
			continue
		}
		into := s.BucketID
		if s.ExpiredAt.Valid {
			into, err = q.InsertReturnedPointsBucket(ctx, db.InsertReturnedPointsBucketParams{
				CustomerID: pay.CustomerID, Currency: pay.Currency, Amount: shares[i],
				SourceKey: fmt.Sprintf("%s:bucket:%d", ledger.PointsRefundKey(rf.ID), s.BucketID),
				EarnedAt:  timestamptz(now), ExpiresAt: timestamptz(now.Add(ReturnedPointsValidity)),
			})
		} else {
			err = q.GiveToPointsBucket(ctx, db.GiveToPointsBucketParams{ID: s.BucketID, Amount: shares[i]})
		}
		if err != nil {
			return fmt.Errorf("return points of refund %s to bucket %d: %w", rf.ID, s.BucketID, err)
		}
		if err := q.InsertPointsReturn(ctx, db.InsertPointsReturnParams{
			RefundID: rf.ID, BucketID: s.BucketID, IntoBucketID: into, Amount: shares[i],
		}); err != nil {
			return fmt.Errorf("record points return of refund %s: %w", rf.ID, err)
		}
	}
	if _, err := ledger.Post(ctx, q, ledger.RefundPointsJournal(rf.ID, pay.ID, pay.CustomerID, pay.Currency, points)); err != nil {
		return fmt.Errorf("post points return of refund %s: %w", rf.ID, err)
	}
	return nil
}
