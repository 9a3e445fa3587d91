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
	"github.com/paysaga/paysaga/tax"
)

// Settlement records the fulfilment of a payment's items (delivered, purchase
// confirmed) and books each confirmation: pending becomes payable, less the
// commission and its VAT. Every step is idempotent by payment and producer.
type Settlement struct {
	Pool *pgxpool.Pool
}

// ErrFulfilment is the application error type of a fulfilment event that can
// never apply (details: Failure with the API's code).
const ErrFulfilment = "FulfilmentRejected"

// Failure codes of fulfilment events, as the API answers them.
const (
	CodeItemNotFound       = "item_not_found"
	CodeItemNotCaptured    = "item_not_captured"
	CodeItemRefunded       = "item_refunded"
	CodeAlreadyConfirmed   = "item_already_confirmed"
	CodeTimestampTooEarly  = "timestamp_before_payment"
	CodeTimestampInFuture  = "timestamp_in_future"
	CodeConfirmBeforeDeliv = "timestamp_before_delivery"
)

// Who confirmed a purchase.
const (
	ConfirmedByBuyer = "buyer"
	ConfirmedByAuto  = "auto"
)

type ItemRef struct {
	PaymentID  string
	ProducerID string
}

// ItemState is a payment item's fulfilment as stored.
type ItemState struct {
	PaymentID   string
	ProducerID  string
	Amount      int64
	DeliveredAt time.Time // zero: not reported
	ConfirmedAt time.Time // zero: not confirmed
	ConfirmedBy string
	DueAt       time.Time
	Commission  int64
	VAT         int64
	Net         int64
}

func itemState(it db.PaymentItem) ItemState {
	return ItemState{
		PaymentID: it.PaymentID, ProducerID: it.ProducerID, Amount: it.Amount,
		DeliveredAt: it.DeliveredAt.Time.UTC(), ConfirmedAt: it.ConfirmedAt.Time.UTC(), ConfirmedBy: it.ConfirmedBy.String,
		DueAt: it.DueAt.Time.UTC(), Commission: it.Commission, VAT: it.CommissionVat, Net: it.ConfirmedNet,
	}
}

func fulfilmentError(code, msg string) error {
	return nonRetryable(ErrFulfilment, Failure{Code: code, Message: msg}, nil)
}

type MarkDeliveredInput struct {
	ItemRef
	At time.Time
}

// MarkDelivered records the delivery time the app reported (the first report
// wins). A confirmed item is not delivered again.
func (s *Settlement) MarkDelivered(ctx context.Context, in MarkDeliveredInput) (ItemState, error) {
	var st ItemState
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		_, it, err := lockItem(ctx, q, in.ItemRef, in.At)
		if err != nil {
			return err
		}
		if it.ConfirmedAt.Valid {
			return fulfilmentError(CodeAlreadyConfirmed, "the purchase is already confirmed")
		}
		if !it.DeliveredAt.Valid {
			err := q.MarkItemDelivered(ctx, db.MarkItemDeliveredParams{PaymentID: in.PaymentID, ProducerID: in.ProducerID, DeliveredAt: ts(in.At)})
			if err != nil {
				return fmt.Errorf("mark %s/%s delivered: %w", in.PaymentID, in.ProducerID, err)
			}
			it.DeliveredAt = ts(in.At)
		}
		st = itemState(it)
		return nil
	})
	return st, err
}

type ConfirmInput struct {
	ItemRef
	At       time.Time
	By       string        // ConfirmedByBuyer or ConfirmedByAuto
	Deadline time.Duration // the statutory window: due = At + Deadline
}

// Confirm books a purchase confirmation once: Dr pending what is left of the
// item after refunds; Cr payable the net, revenue:fees the commission,
// vat:payable its VAT; and records the settlement entry the statements and the
// runs read. A repeat answers the first confirmation. An item refunded in full
// cannot be confirmed (item_refunded).
func (s *Settlement) Confirm(ctx context.Context, in ConfirmInput) (ItemState, error) {
	var st ItemState
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		pay, it, err := lockItem(ctx, q, in.ItemRef, in.At)
		if err != nil {
			return err
		}
		if it.ConfirmedAt.Valid {
			st = itemState(it)
			return nil
		}
		if it.DeliveredAt.Valid && in.At.Before(it.DeliveredAt.Time) {
			return fulfilmentError(CodeConfirmBeforeDeliv, "a purchase cannot be confirmed before its delivery")
		}
		c := ledger.Confirmation{}
		if pay.SettlesOnConfirm {
			bal, err := q.PaymentAccountBalance(ctx, db.PaymentAccountBalanceParams{PaymentID: text(pay.ID), Account: ledger.ProducerPending(it.ProducerID)})
			if err != nil {
				return fmt.Errorf("pending of %s/%s: %w", pay.ID, it.ProducerID, err)
			}
			refunded := it.Amount + bal // bal is the (negative) pending credit left
			c = ledger.ConfirmationOf(ledger.SettlementOf(ledger.Item{ProducerID: it.ProducerID, Amount: it.Amount, Fee: it.Fee}, false), refunded)
			if c.Pending == 0 {
				return fulfilmentError(CodeItemRefunded, "the item was refunded in full; there is nothing to confirm")
			}
			if _, err := ledger.Post(ctx, q, ledger.ConfirmJournal(pay.ID, pay.Currency, it.ProducerID, c)); err != nil {
				return err
			}
		}
		due := in.At.Add(in.Deadline)
		err = q.MarkItemConfirmed(ctx, db.MarkItemConfirmedParams{
			PaymentID: pay.ID, ProducerID: it.ProducerID, ConfirmedAt: ts(in.At), ConfirmedBy: text(in.By),
			DueAt: ts(due), Commission: c.Commission, CommissionVat: c.VAT, ConfirmedNet: c.Net,
		})
		if err != nil {
			return fmt.Errorf("mark %s/%s confirmed: %w", pay.ID, it.ProducerID, err)
		}
		if pay.SettlesOnConfirm {
			err = q.InsertSettlementEntry(ctx, db.InsertSettlementEntryParams{
				JournalKey: ledger.ConfirmKey(pay.ID, it.ProducerID), ProducerID: it.ProducerID, PaymentID: pay.ID,
				Kind: "sale", Currency: pay.Currency, Gross: c.Pending, Commission: c.Commission, CommissionVat: c.VAT,
				Net: c.Net, ConfirmedAt: ts(in.At), DueAt: ts(due),
				// What remains of the item after refunds before confirmation, and its tax-free part.
				TaxFree: tax.SliceTaxFree(it.Amount, it.TaxFreeAmount, it.Amount-c.Pending, c.Pending),
			})
			if err != nil {
				return fmt.Errorf("settlement entry of %s/%s: %w", pay.ID, it.ProducerID, err)
			}
		}
		if err := recordEvent(ctx, q, pay.ID, "confirmed:"+it.ProducerID, map[string]string{"producer_id": it.ProducerID, "by": in.By}); err != nil {
			return err
		}
		it, err = q.GetPaymentItem(ctx, db.GetPaymentItemParams{PaymentID: pay.ID, ProducerID: it.ProducerID})
		if err != nil {
			return fmt.Errorf("reload %s/%s: %w", pay.ID, it.ProducerID, err)
		}
		st = itemState(it)
		return nil
	})
	return st, err
}

// lockItem locks the payment (serializing confirmations with its refunds) and
// loads the item, checking it can take a fulfilment event at the given time.
func lockItem(ctx context.Context, q *db.Queries, ref ItemRef, at time.Time) (db.Payment, db.PaymentItem, error) {
	pay, err := q.GetPaymentForUpdate(ctx, ref.PaymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return pay, db.PaymentItem{}, fulfilmentError(CodeItemNotFound, "no such payment")
	}
	if err != nil {
		return pay, db.PaymentItem{}, fmt.Errorf("load payment %s: %w", ref.PaymentID, err)
	}
	it, err := q.GetPaymentItem(ctx, db.GetPaymentItemParams{PaymentID: ref.PaymentID, ProducerID: ref.ProducerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return pay, it, fulfilmentError(CodeItemNotFound, "the payment has no item for this producer")
	}
	if err != nil {
		return pay, it, fmt.Errorf("load item %s/%s: %w", ref.PaymentID, ref.ProducerID, err)
	}
	if pay.CapturedAmount == 0 {
		return pay, it, fulfilmentError(CodeItemNotCaptured, "the payment was not captured")
	}
	if at.Before(pay.CreatedAt.Time) {
		return pay, it, fulfilmentError(CodeTimestampTooEarly, "the timestamp is before the payment")
	}
	return pay, it, nil
}

func ts(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }

// EventSettlementDeadline is the ops alert a deadline check raises when sales
// are at risk of missing, or have missed, their statutory due date.
const EventSettlementDeadline = "settlement.deadline_at_risk"

// AtRiskWindow: a confirmed sale due within this and in no run yet is at risk.
const AtRiskWindow = 48 * time.Hour

type CheckDeadlinesInput struct {
	CheckID string // the check's workflow id
	Now     time.Time
}

type DeadlineReport struct {
	AtRisk        int64 // due within AtRiskWindow, not in a run
	Overdue       int64 // due date passed, not paid
	OverdueAmount int64
}

// CheckDeadlines counts the confirmed sales at risk and overdue, records the
// check (the metric reads the latest) and, when any are found, raises the ops
// alert event, once per check.
func (s *Settlement) CheckDeadlines(ctx context.Context, in CheckDeadlinesInput) (DeadlineReport, error) {
	var r DeadlineReport
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		row, err := q.SettlementDeadlines(ctx, db.SettlementDeadlinesParams{NowTime: ts(in.Now), AtRiskBy: ts(in.Now.Add(AtRiskWindow))})
		if err != nil {
			return fmt.Errorf("settlement deadlines: %w", err)
		}
		r = DeadlineReport{AtRisk: row.AtRisk, Overdue: row.Overdue, OverdueAmount: row.OverdueAmount}
		err = q.RecordDeadlineCheck(ctx, db.RecordDeadlineCheckParams{
			ID: in.CheckID, CheckedAt: ts(in.Now), AtRisk: r.AtRisk, Overdue: r.Overdue, OverdueAmount: r.OverdueAmount,
		})
		if err != nil {
			return fmt.Errorf("record deadline check %s: %w", in.CheckID, err)
		}
		if r.AtRisk == 0 && r.Overdue == 0 {
			return nil
		}
		return emitEvent(ctx, q, EventSettlementDeadline, "settlement-deadline:"+in.CheckID, in.CheckID, map[string]any{
			"check_id": in.CheckID, "checked_at": in.Now.UTC(), "at_risk": r.AtRisk,
			"overdue": r.Overdue, "overdue_amount": r.OverdueAmount,
		})
	})
	return r, err
}
