package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/tax"
)

// Ledger posts journals together with the state change they record, in one
// PostgreSQL transaction, so "captured" and "booked" can never disagree.
type Ledger struct {
	Pool *pgxpool.Pool
}

type PostCaptureInput struct {
	PaymentID  string
	PG         string
	PaymentKey string
	// Authorized: the checkout made no MarkAuthorized step (a PG that approves in
	// one call), so the authorization goes on the timeline in this transaction.
	// FailedOver as in MarkAuthorizedInput. Both false in older histories.
	Authorized bool
	FailedOver bool
	// Points, when set, are earned in the same transaction
	// (PostCaptureEarning; issue 19, i19-points-in-posting); nil in older
	// histories, which earn in a step after the posting.
	Points *EarnPointsInput
	// Discount of the card part was an instant discount (issue 15): the PG
	// holds the card part less it, the platform's discount account the rest.
	Discount int64
}

// PostCapture books a captured payment and marks it succeeded. Idempotent: the
// journal key payment:{id}:capture posts once.
func (l *Ledger) PostCapture(ctx context.Context, in PostCaptureInput) error {
	_, err := l.PostCaptureEarning(ctx, in)
	return err
}

// PostCaptureResult says what the posting earned (0 when it earned none).
type PostCaptureResult struct {
	PointsEarned int64
}

// PostCaptureEarning is PostCapture that also earns in.Points in the same
// transaction (issue 19: points at capture without a commit of their own),
// answering what it earned. Idempotent as PostCapture and EarnPoints are.
func (l *Ledger) PostCaptureEarning(ctx context.Context, in PostCaptureInput) (PostCaptureResult, error) {
	var res PostCaptureResult
	err := pgx.BeginFunc(ctx, l.Pool, func(tx pgx.Tx) error {
		if err := postCapture(ctx, tx, in); err != nil {
			return err
		}
		if in.Points != nil {
			res.PointsEarned = earnInPosting(ctx, tx, *in.Points)
		}
		return nil
	})
	return res, err
}

// earnInPosting earns the captured payment's points inside the posting's
// transaction, under a savepoint: as when earning was a step of its own, a
// failure to earn leaves the payment booked and succeeded, with
// points_earn_failed on its timeline.
func earnInPosting(ctx context.Context, tx pgx.Tx, in EarnPointsInput) int64 {
	points := ledger.PointsEarned(in.Base, in.RateBPS)
	if points == 0 {
		return 0
	}
	var earned int64
	err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		if in.Validity <= 0 {
			return errors.New("points need a validity > 0")
		}
		var err error
		earned, err = earnIn(ctx, db.New(sp), in, points)
		return err
	})
	if err != nil {
		// The savepoint is rolled back; the posting's transaction goes on.
		_ = recordEvent(ctx, db.New(tx), in.PaymentID, "points_earn_failed", map[string]string{"error": err.Error()})
		return 0
	}
	return earned
}

// postCapture is the posting itself: journal, hold, status, timeline, outbox.
func postCapture(ctx context.Context, tx pgx.Tx, in PostCaptureInput) error {
	q := db.New(tx)
	pay, err := q.GetPaymentForUpdate(ctx, in.PaymentID)
	if err != nil {
		return fmt.Errorf("load payment %s: %w", in.PaymentID, err)
	}
	items, err := loadItems(ctx, q, in.PaymentID)
	if err != nil {
		return err
	}
	j, err := captureJournal(ctx, q, pay, in.PG, items)
	if err != nil {
		return err
	}
	if pay.WalletAmount > 0 {
		if err := captureHold(ctx, q, pay.ID, pay.CustomerID); err != nil {
			return err
		}
		j = ledger.FundWithWallet(j, ledger.PGReceivable(in.PG), pay.CustomerID, pay.WalletAmount)
	}
	if pay.PointsAmount > 0 { // points as a tender (ADR 0022)
		if j, err = spendPoints(ctx, q, pay, ledger.PGReceivable(in.PG), j); err != nil {
			return err
		}
	}
	j = ledger.FundWithDiscount(j, ledger.PGReceivable(in.PG), in.Discount)
	if _, err := ledger.Post(ctx, q, j); err != nil {
		return err
	}
	if _, err := q.MarkPaymentSucceeded(ctx, db.MarkPaymentSucceededParams{
		ID: in.PaymentID, Pg: text(in.PG), PgPaymentKey: text(in.PaymentKey),
	}); err != nil {
		return fmt.Errorf("mark %s succeeded: %w", in.PaymentID, err)
	}
	if in.Authorized {
		if err := recordEvent(ctx, q, in.PaymentID, "authorized", authorizedDetail(in.PG, in.FailedOver)); err != nil {
			return err
		}
	}
	if err := recordEvent(ctx, q, in.PaymentID, "captured", map[string]string{"pg": in.PG}); err != nil {
		return err
	}
	if err := recordEvent(ctx, q, in.PaymentID, "ledger_posted", map[string]string{"journal": "payment:" + in.PaymentID + ":capture"}); err != nil {
		return err
	}
	return emitEvent(ctx, q, EventPaymentSucceeded, "payment:"+pay.ID+":succeeded", pay.ID, map[string]any{
		"payment_id": pay.ID, "order_id": pay.OrderID, "customer_id": pay.CustomerID,
		"currency": pay.Currency, "amount": pay.Amount, "wallet_amount": pay.WalletAmount, "pg": in.PG,
	})
}

type PostRefundInput struct {
	RefundID string
}

// PostRefund books a refund the PG has made and marks the refund succeeded.
func (l *Ledger) PostRefund(ctx context.Context, in PostRefundInput) error {
	return pgx.BeginFunc(ctx, l.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		rf, err := q.GetRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("load refund %s: %w", in.RefundID, err)
		}
		// Locked: a purchase confirmation of the same payment waits, so each item
		// is refunded either from pending or from payable, never half of each.
		pay, err := q.GetPaymentForUpdate(ctx, rf.PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", rf.PaymentID, err)
		}
		j, err := refundJournal(ctx, q, pay, rf)
		if err != nil {
			return err
		}
		if j.Key == "" {
			return nil // booked by an earlier attempt
		}
		_, toWallet, toPoints := refundTenders(pay, rf.RefundedBefore, rf.Amount)
		if toWallet > 0 {
			j = ledger.FundWithWallet(j, ledger.PGReceivable(pay.Pg.String), pay.CustomerID, toWallet)
		}
		if toPoints > 0 { // points as a tender go back to their buckets (ADR 0022)
			j = ledger.FundWithPoints(j, ledger.PGReceivable(pay.Pg.String), toPoints)
			if err := returnPoints(ctx, q, pay, rf, toPoints, time.Now()); err != nil {
				return err
			}
		}
		discount, err := refundDiscountShare(ctx, q, pay, rf.RefundedBefore, rf.Amount)
		if err != nil {
			return err
		}
		j = ledger.FundWithDiscount(j, ledger.PGReceivable(pay.Pg.String), discount)
		if _, err := ledger.Post(ctx, q, j); err != nil {
			return err
		}
		if _, err := q.MarkRefundSucceeded(ctx, rf.ID); err != nil {
			return fmt.Errorf("mark refund %s succeeded: %w", rf.ID, err)
		}
		if err := recordEvent(ctx, q, pay.ID, "refund:"+rf.ID+":succeeded", map[string]string{"amount": fmt.Sprint(rf.Amount)}); err != nil {
			return err
		}
		return emitEvent(ctx, q, EventPaymentRefunded, "refund:"+rf.ID+":succeeded", pay.ID, map[string]any{
			"payment_id": pay.ID, "order_id": pay.OrderID, "refund_id": rf.ID, "currency": pay.Currency,
			"amount": rf.Amount, "refunded_amount": rf.RefundedBefore + rf.Amount,
		})
	})
}

func loadItems(ctx context.Context, q *db.Queries, paymentID string) ([]ledger.Item, error) {
	rows, err := q.ListPaymentItems(ctx, paymentID)
	if err != nil {
		return nil, fmt.Errorf("load items of %s: %w", paymentID, err)
	}
	if len(rows) == 0 {
		return nil, errors.New("payment " + paymentID + " has no items")
	}
	items := make([]ledger.Item, len(rows))
	for i, r := range rows {
		items[i] = ledger.Item{ProducerID: r.ProducerID, Amount: r.Amount, Fee: r.Fee}
	}
	return items, nil
}

// captureJournal is the capture's booking. Payments captured since settlement
// on confirmation (issue 13) book each producer's gross share as pending; a
// retry of a capture booked the old way (payable less fee, before the upgrade)
// keeps that shape, so the same key is never posted two ways.
func captureJournal(ctx context.Context, q *db.Queries, pay db.Payment, pg string, items []ledger.Item) (ledger.Journal, error) {
	_, err := q.GetJournalTransactionByKey(ctx, ledger.CaptureKey(pay.ID))
	switch {
	case err == nil && !pay.SettlesOnConfirm:
		return ledger.CaptureJournal(pay.ID, pg, pay.Currency, items), nil
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return ledger.Journal{}, fmt.Errorf("read capture journal of %s: %w", pay.ID, err)
	}
	if err := q.SetPaymentSettlesOnConfirm(ctx, pay.ID); err != nil {
		return ledger.Journal{}, fmt.Errorf("mark %s settled on confirmation: %w", pay.ID, err)
	}
	return ledger.PendingCaptureJournal(pay.ID, pg, pay.Currency, items), nil
}

// refundJournal books a refund: proportionally over the items as before, each
// item given back from pending while unconfirmed, or from payable with its
// commission and VAT once confirmed. The refunds of confirmed items are
// recorded as negative settlement entries, netted from the next settlement.
// An empty journal means the refund is already booked: which items were
// confirmed may have changed since, so it is never recomputed.
func refundJournal(ctx context.Context, q *db.Queries, pay db.Payment, rf db.Refund) (ledger.Journal, error) {
	if _, err := q.GetJournalTransactionByKey(ctx, "refund:"+rf.ID); err == nil {
		return ledger.Journal{}, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return ledger.Journal{}, fmt.Errorf("read refund journal %s: %w", rf.ID, err)
	}
	if parts, err := q.ListRefundItems(ctx, rf.ID); err != nil {
		return ledger.Journal{}, fmt.Errorf("items of refund %s: %w", rf.ID, err)
	} else if len(parts) > 0 {
		return itemRefundJournal(ctx, q, pay, rf, parts)
	}
	if !pay.SettlesOnConfirm {
		items, err := loadItems(ctx, q, pay.ID)
		if err != nil {
			return ledger.Journal{}, err
		}
		return ledger.RefundJournal(rf.ID, pay.ID, pay.Pg.String, pay.Currency, items, rf.RefundedBefore, rf.Amount), nil
	}
	rows, err := q.ListPaymentItems(ctx, pay.ID)
	if err != nil {
		return ledger.Journal{}, fmt.Errorf("load items of %s: %w", pay.ID, err)
	}
	sets := make([]ledger.ItemSettlement, len(rows))
	for i, r := range rows {
		sets[i] = ledger.SettlementOf(ledger.Item{ProducerID: r.ProducerID, Amount: r.Amount, Fee: r.Fee}, r.ConfirmedAt.Valid)
	}
	j := ledger.SettledRefundJournal(rf.ID, pay.ID, pay.Pg.String, pay.Currency, sets, rf.RefundedBefore, rf.Amount)
	from := ledger.RefundedShares(sets, rf.RefundedBefore)
	to := ledger.RefundedShares(sets, rf.RefundedBefore+rf.Amount)
	for i, s := range sets {
		if !s.Confirmed || to[i] == from[i] {
			continue
		}
		c0, v0, n0 := s.Share(from[i])
		c1, v1, n1 := s.Share(to[i])
		err := q.InsertSettlementEntry(ctx, db.InsertSettlementEntryParams{
			JournalKey: j.Key, ProducerID: s.ProducerID, PaymentID: pay.ID, Kind: "refund", Currency: pay.Currency,
			Gross: -(to[i] - from[i]), Commission: -(c1 - c0), CommissionVat: -(v1 - v0), Net: -(n1 - n0),
			ConfirmedAt: rows[i].ConfirmedAt, DueAt: rows[i].DueAt,
			TaxFree: -tax.SliceTaxFree(rows[i].Amount, rows[i].TaxFreeAmount, from[i], to[i]-from[i]),
		})
		if err != nil {
			return ledger.Journal{}, fmt.Errorf("settlement entry of refund %s for %s: %w", rf.ID, s.ProducerID, err)
		}
	}
	return j, nil
}
