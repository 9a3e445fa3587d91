package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// Points keeps the customers' points (issue 15): earned on card purchases,
// held in FIFO buckets that expire, owed in the ledger as points:{customer}.
// Every change posts its journal and changes the buckets in one transaction
// under the customer's row lock (ADR 0005), so the buckets always add up to
// the ledger balance.
type Points struct {
	Pool *pgxpool.Pool
}

// EventPointsExpiring tells the app a customer's points expire soon (once per bucket).
const EventPointsExpiring = "points.expiring"

type EarnPointsInput struct {
	PaymentID  string
	CustomerID string
	Currency   string
	Base       int64 // what the points are a rate of: the payment's card part
	RateBPS    int64
	At         time.Time     // when they are earned (workflow.Now of the earning step)
	Validity   time.Duration // how long until they expire
	// Capped: the benefit rule set in force caps the customer's points per
	// KST calendar month at MonthlyCap; the earning gets what is left of it.
	Capped     bool
	MonthlyCap int64
	// Key of the journal and bucket; "" is the payment's (PointsEarnKey).
	Key string
}

type EarnPointsResult struct {
	Points int64
}

// EarnPoints credits RateBPS of Base as one bucket expiring Validity after At,
// once per payment (the journal key and the bucket's source key are
// payment:{id}:points-earn).
func (p *Points) EarnPoints(ctx context.Context, in EarnPointsInput) (EarnPointsResult, error) {
	if ledger.PointsEarned(in.Base, in.RateBPS) == 0 {
		return EarnPointsResult{}, nil
	}
	if in.Validity <= 0 {
		return EarnPointsResult{}, invalid("invalid_points_validity", "points need a validity > 0")
	}
	var res EarnPointsResult
	err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		var err error
		res.Points, err = earnLocked(ctx, db.New(tx), in)
		return err
	})
	if err != nil {
		return EarnPointsResult{}, err
	}
	return res, nil
}

// earnLocked is EarnPoints inside the caller's transaction: RateBPS of Base,
// credited by earnIn under the customer's lock.
func earnLocked(ctx context.Context, q *db.Queries, in EarnPointsInput) (int64, error) {
	points := ledger.PointsEarned(in.Base, in.RateBPS)
	if points == 0 {
		return 0, nil
	}
	if in.Validity <= 0 {
		return 0, invalid("invalid_points_validity", "points need a validity > 0")
	}
	return earnIn(ctx, q, in, points)
}

// earnIn credits points (in.RateBPS of in.Base, computed by the caller) in
// the caller's transaction under the customer's lock, within the monthly cap
// when there is one, and answers what it credited. EarnPoints runs it in a
// transaction of its own, PostCapture in the posting's (issue 19).
func earnIn(ctx context.Context, q *db.Queries, in EarnPointsInput, points int64) (int64, error) {
	key := in.Key
	if key == "" {
		key = ledger.PointsEarnKey(in.PaymentID)
	}
	if _, err := q.LockCustomer(ctx, in.CustomerID); err != nil {
		return 0, fmt.Errorf("lock customer %s: %w", in.CustomerID, err)
	}
	if in.Capped {
		// A retry after a commit finds its bucket and must not count against the cap twice.
		earned, err := q.PointsBucketBySource(ctx, key)
		if err == nil {
			return earned, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("points bucket of %s: %w", in.PaymentID, err)
		}
		if points, err = grantWithinCap(ctx, q, in.CustomerID, in.At, points, in.MonthlyCap); err != nil || points == 0 {
			return 0, err
		}
	}
	if _, err := ledger.Post(ctx, q, ledger.EarnPointsJournal(key, in.PaymentID, in.CustomerID, in.Currency, points)); err != nil {
		return 0, fmt.Errorf("post points of %s: %w", in.PaymentID, err)
	}
	_, err := q.InsertPointsBucket(ctx, db.InsertPointsBucketParams{
		CustomerID: in.CustomerID, Currency: in.Currency, SourceKey: key, PaymentID: text(in.PaymentID), Amount: points,
		EarnedAt: timestamptz(in.At), ExpiresAt: timestamptz(in.At.Add(in.Validity)),
	})
	if err != nil {
		return 0, fmt.Errorf("points bucket of %s: %w", in.PaymentID, err)
	}
	// What the points are a rate of, for the refunds that take them back (ADR 0023).
	if err := q.SetPointsBucketBase(ctx, db.SetPointsBucketBaseParams{SourceKey: key, EarnBase: pgtype.Int8{Int64: in.Base, Valid: true}}); err != nil {
		return 0, fmt.Errorf("points base of %s: %w", key, err)
	}
	return points, nil
}

type ExpirePointsInput struct {
	Now     time.Time // buckets expiring at or before it expire
	MaxRows int32     // buckets per call; the workflow calls again while it is full
}

type ExpirePointsResult struct {
	Buckets int   // buckets expired by this call
	Points  int64 // points taken back
	More    bool  // MaxRows were due: call again
}

// ExpirePoints takes back what is left of every bucket past its expiry, each
// bucket in its own transaction (journal points:bucket:{id}:expire).
func (p *Points) ExpirePoints(ctx context.Context, in ExpirePointsInput) (ExpirePointsResult, error) {
	due, err := db.New(p.Pool).DuePointsBuckets(ctx, db.DuePointsBucketsParams{Now: timestamptz(in.Now), MaxRows: in.MaxRows})
	if err != nil {
		return ExpirePointsResult{}, fmt.Errorf("due points buckets: %w", err)
	}
	res := ExpirePointsResult{More: len(due) == int(in.MaxRows)}
	for _, b := range due {
		n, err := p.expireBucket(ctx, b.ID, b.CustomerID, in.Now)
		if err != nil {
			return res, err
		}
		if n > 0 {
			res.Buckets++
			res.Points += n
		}
	}
	return res, nil
}

func (p *Points) expireBucket(ctx context.Context, id int64, customerID string, now time.Time) (int64, error) {
	var expired int64
	err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.LockCustomer(ctx, customerID); err != nil {
			return fmt.Errorf("lock customer %s: %w", customerID, err)
		}
		b, err := q.LockPointsBucket(ctx, id)
		if err != nil {
			return fmt.Errorf("lock points bucket %d: %w", id, err)
		}
		if b.Remaining == 0 || b.ExpiresAt.Time.After(now) {
			return nil // spent or expired meanwhile
		}
		if _, err := ledger.Post(ctx, q, ledger.ExpirePointsJournal(b.ID, b.CustomerID, b.Currency, b.Remaining)); err != nil {
			return fmt.Errorf("post expiry of bucket %d: %w", id, err)
		}
		if err := q.ExpirePointsBucket(ctx, db.ExpirePointsBucketParams{ID: id, ExpiredAt: timestamptz(now)}); err != nil {
			return fmt.Errorf("expire bucket %d: %w", id, err)
		}
		expired = b.Remaining
		return nil
	})
	return expired, err
}

type NotifyExpiringPointsInput struct {
	Now     time.Time
	Within  time.Duration // buckets expiring within it are announced
	MaxRows int32
}

type NotifyExpiringPointsResult struct {
	Notified int
	More     bool
}

// NotifyExpiringPoints emits points.expiring once per bucket that expires
// within Within of Now, in the same transaction that marks it notified.
func (p *Points) NotifyExpiringPoints(ctx context.Context, in NotifyExpiringPointsInput) (NotifyExpiringPointsResult, error) {
	var res NotifyExpiringPointsResult
	err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		rows, err := q.ExpiringPointsBuckets(ctx, db.ExpiringPointsBucketsParams{Until: timestamptz(in.Now.Add(in.Within)), MaxRows: in.MaxRows})
		if err != nil {
			return fmt.Errorf("expiring points buckets: %w", err)
		}
		res.More = len(rows) == int(in.MaxRows)
		for _, b := range rows {
			n, err := q.MarkPointsExpiryNotified(ctx, db.MarkPointsExpiryNotifiedParams{ID: b.ID, NotifiedAt: timestamptz(in.Now)})
			if err != nil {
				return fmt.Errorf("mark bucket %d notified: %w", b.ID, err)
			}
			if n == 0 {
				continue
			}
			err = emitEvent(ctx, q, EventPointsExpiring, fmt.Sprintf("points:bucket:%d:expiring", b.ID), b.CustomerID, map[string]any{
				"customer_id": b.CustomerID, "points": b.Remaining, "currency": b.Currency,
				"expires_at": b.ExpiresAt.Time.UTC().Format(time.RFC3339),
			})
			if err != nil {
				return err
			}
			res.Notified++
		}
		return nil
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return res, nil
	}
	return res, err
}

func timestamptz(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }
