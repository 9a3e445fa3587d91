package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
)

// Membership events sent to the app (issue 15 part B).
const (
	EventMembershipChargeFailed = "membership.charge_failed"
	EventMembershipRecovered    = "membership.recovered"
	EventMembershipSuspended    = "membership.suspended"
)

// Membership statuses, as stored and answered by the API.
const (
	MembershipActive    = "active"
	MembershipPastDue   = "past_due"
	MembershipPaused    = "paused"
	MembershipSuspended = "suspended"
	MembershipCanceled  = "canceled"
)

// Memberships keeps the membership_charges rows that make a period be charged
// once: the charge itself is a Checkout (the same PG activities, routing and
// failover), started by the MembershipCharge workflow.
type Memberships struct {
	Pool *pgxpool.Pool
}

type BeginMembershipChargeInput struct {
	MembershipID string
	Period       string
	WorkflowID   string
}

// BeginMembershipChargeResult says whether the period is to be charged and
// with what; Attempts counts the attempts an earlier run already made.
type BeginMembershipChargeResult struct {
	Charge     bool
	Reason     string // why not: already_succeeded, membership_paused, ...
	CustomerID string
	MethodID   string
	Currency   string
	Amount     int64
	Attempts   int
}

// chargeable: the statuses whose period is charged.
func chargeable(status string) bool { return status == MembershipActive || status == MembershipPastDue }

// BeginMembershipCharge claims the period under the membership's row lock.
// The row (membership, period) is unique: a second firing of the schedule, or
// a charge workflow started again after Temporal forgot the first, finds it
// and charges nothing more. A period that begins while the membership is
// paused, suspended or canceled is recorded skipped.
func (m *Memberships) BeginMembershipCharge(ctx context.Context, in BeginMembershipChargeInput) (BeginMembershipChargeResult, error) {
	var out BeginMembershipChargeResult
	err := pgx.BeginFunc(ctx, m.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		mem, err := q.LockMembership(ctx, in.MembershipID)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid("membership_not_found", "no membership "+in.MembershipID)
		}
		if err != nil {
			return fmt.Errorf("lock membership %s: %w", in.MembershipID, err)
		}
		status := "processing"
		if !chargeable(mem.Status) {
			status = "skipped"
		}
		row, err := q.InsertMembershipCharge(ctx, db.InsertMembershipChargeParams{
			MembershipID: mem.ID, Period: in.Period, Currency: mem.Currency, Amount: mem.Price, Status: status, WorkflowID: in.WorkflowID,
		})
		if err != nil {
			return fmt.Errorf("claim period %s of %s: %w", in.Period, mem.ID, err)
		}
		out = BeginMembershipChargeResult{CustomerID: mem.CustomerID, MethodID: mem.MethodID, Currency: row.Currency, Amount: row.Amount, Attempts: int(row.Attempts)}
		switch {
		case row.Inserted && status == "skipped":
			out.Reason = "membership_" + mem.Status
		case row.Status != "processing":
			out.Reason = "already_" + row.Status
		default:
			out.Charge = true
		}
		return nil
	})
	return out, err
}

type MembershipRef struct {
	MembershipID string
	Period       string
}

type StillChargeableResult struct {
	Chargeable bool
	Status     string
}

// StillChargeable is asked before each dunning retry: a membership canceled or
// paused meanwhile is not charged again, and its period ends failed.
func (m *Memberships) StillChargeable(ctx context.Context, in MembershipRef) (StillChargeableResult, error) {
	var out StillChargeableResult
	err := pgx.BeginFunc(ctx, m.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		mem, err := q.LockMembership(ctx, in.MembershipID)
		if err != nil {
			return fmt.Errorf("lock membership %s: %w", in.MembershipID, err)
		}
		out = StillChargeableResult{Chargeable: chargeable(mem.Status), Status: mem.Status}
		if out.Chargeable {
			return nil
		}
		_, err = q.EndMembershipCharge(ctx, db.EndMembershipChargeParams{
			MembershipID: in.MembershipID, Period: in.Period, Status: "failed", FailureCode: text("membership_" + mem.Status),
		})
		return err
	})
	return out, err
}

type RecordMembershipAttemptInput struct {
	MembershipID  string
	Period        string
	Attempt       int
	PaymentID     string
	Succeeded     bool
	FailureCode   string
	Final         bool      // the last dunning attempt failed: suspend
	NextAttemptAt time.Time // when the next retry runs (not Final)
	PaidUntil     time.Time // the end of the period a success pays
}

// RecordMembershipAttempt books one attempt's outcome with the membership's
// status and its events, in one transaction: a success ends the period
// succeeded (and a past_due membership recovered), a failure marks it
// past_due with membership.charge_failed, the last failure suspends it.
func (m *Memberships) RecordMembershipAttempt(ctx context.Context, in RecordMembershipAttemptInput) error {
	return pgx.BeginFunc(ctx, m.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		mem, err := q.LockMembership(ctx, in.MembershipID)
		if err != nil {
			return fmt.Errorf("lock membership %s: %w", in.MembershipID, err)
		}
		if err := q.RecordMembershipAttempt(ctx, db.RecordMembershipAttemptParams{
			MembershipID: mem.ID, Period: in.Period, Attempts: int32(in.Attempt), FailureCode: text(in.FailureCode),
		}); err != nil {
			return fmt.Errorf("record attempt %d of %s/%s: %w", in.Attempt, mem.ID, in.Period, err)
		}
		base := map[string]any{"membership_id": mem.ID, "customer_id": mem.CustomerID, "period": in.Period,
			"attempt": in.Attempt, "amount": mem.Price, "currency": mem.Currency}
		key := "membership:" + mem.ID + ":" + in.Period
		if in.Succeeded {
			return m.recordSuccess(ctx, q, mem, in, key, base)
		}
		base["failure_code"] = in.FailureCode
		base["payment_id"] = in.PaymentID
		if !in.Final {
			base["next_attempt_at"] = in.NextAttemptAt.UTC()
			if err := setStatus(ctx, q, mem.ID, MembershipPastDue, MembershipActive); err != nil {
				return err
			}
			return emitEvent(ctx, q, EventMembershipChargeFailed, key+":attempt:"+strconv.Itoa(in.Attempt)+":failed", mem.ID, base)
		}
		if _, err := q.EndMembershipCharge(ctx, db.EndMembershipChargeParams{
			MembershipID: mem.ID, Period: in.Period, Status: "failed", FailureCode: text(in.FailureCode),
		}); err != nil {
			return fmt.Errorf("end period %s of %s failed: %w", in.Period, mem.ID, err)
		}
		if err := emitEvent(ctx, q, EventMembershipChargeFailed, key+":attempt:"+strconv.Itoa(in.Attempt)+":failed", mem.ID, base); err != nil {
			return err
		}
		if !chargeable(mem.Status) {
			return nil // canceled or paused meanwhile: nothing to suspend
		}
		if err := setStatus(ctx, q, mem.ID, MembershipSuspended, MembershipActive, MembershipPastDue); err != nil {
			return err
		}
		return emitEvent(ctx, q, EventMembershipSuspended, key+":suspended", mem.ID, base)
	})
}

func (m *Memberships) recordSuccess(ctx context.Context, q *db.Queries, mem db.Membership, in RecordMembershipAttemptInput, key string, data map[string]any) error {
	n, err := q.EndMembershipCharge(ctx, db.EndMembershipChargeParams{
		MembershipID: mem.ID, Period: in.Period, Status: "succeeded", PaymentID: text(in.PaymentID),
	})
	if err != nil {
		return fmt.Errorf("end period %s of %s succeeded: %w", in.Period, mem.ID, err)
	}
	if n == 0 {
		return nil // booked by an earlier attempt of this activity
	}
	if err := q.SetMembershipPaidUntil(ctx, db.SetMembershipPaidUntilParams{ID: mem.ID, PaidUntil: timestamptz(in.PaidUntil)}); err != nil {
		return fmt.Errorf("paid until of %s: %w", mem.ID, err)
	}
	if mem.Status != MembershipPastDue {
		return nil
	}
	if err := setStatus(ctx, q, mem.ID, MembershipActive, MembershipPastDue); err != nil {
		return err
	}
	data["payment_id"] = in.PaymentID
	return emitEvent(ctx, q, EventMembershipRecovered, key+":recovered", mem.ID, data)
}

// setStatus moves the membership to status from one of from; from another
// status it is left alone (a cancel or pause that came first wins).
func setStatus(ctx context.Context, q *db.Queries, id, status string, from ...string) error {
	_, err := q.SetMembershipStatus(ctx, db.SetMembershipStatusParams{ID: id, Status: status, FromStatuses: from})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("membership %s to %s: %w", id, status, err)
	}
	return nil
}

type PaymentOutcomeInput struct {
	PaymentID string
}

type PaymentOutcome struct {
	Status      string // as stored: processing, authorized, succeeded, failed, ...; "" when there is none
	FailureCode string
}

// PaymentOutcome reads what an attempt's payment became, for a charge whose
// checkout ran before (a reset or re-run finds its workflow id taken): the
// attempt is then judged by the payment, never charged again.
func (m *Memberships) PaymentOutcome(ctx context.Context, in PaymentOutcomeInput) (PaymentOutcome, error) {
	p, err := db.New(m.Pool).GetPayment(ctx, in.PaymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return PaymentOutcome{}, nil
	}
	if err != nil {
		return PaymentOutcome{}, fmt.Errorf("load payment %s: %w", in.PaymentID, err)
	}
	return PaymentOutcome{Status: p.Status, FailureCode: p.FailureCode.String}, nil
}
