package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
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
}

// PostCapture books a captured payment and marks it succeeded. Idempotent: the
// journal key payment:{id}:capture posts once.
func (l *Ledger) PostCapture(ctx context.Context, in PostCaptureInput) error {
	return pgx.BeginFunc(ctx, l.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		pay, err := q.GetPaymentForUpdate(ctx, in.PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", in.PaymentID, err)
		}
		items, err := loadItems(ctx, q, in.PaymentID)
		if err != nil {
			return err
		}
		j := ledger.CaptureJournal(pay.ID, in.PG, pay.Currency, items)
		if pay.WalletAmount > 0 {
			if err := captureHold(ctx, q, pay.ID, pay.CustomerID); err != nil {
				return err
			}
			j = ledger.FundWithWallet(j, ledger.PGReceivable(in.PG), pay.CustomerID, pay.WalletAmount)
		}
		if _, err := ledger.Post(ctx, q, j); err != nil {
			return err
		}
		if _, err := q.MarkPaymentSucceeded(ctx, db.MarkPaymentSucceededParams{
			ID: in.PaymentID, Pg: text(in.PG), PgPaymentKey: text(in.PaymentKey),
		}); err != nil {
			return fmt.Errorf("mark %s succeeded: %w", in.PaymentID, err)
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
		pay, err := q.GetPayment(ctx, rf.PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", rf.PaymentID, err)
		}
		items, err := loadItems(ctx, q, rf.PaymentID)
		if err != nil {
			return err
		}
		j := ledger.RefundJournal(rf.ID, pay.ID, pay.Pg.String, pay.Currency, items, rf.RefundedBefore, rf.Amount)
		if _, toWallet := ledger.SplitRefund(pay.Amount-pay.WalletAmount, pay.WalletAmount, rf.RefundedBefore, rf.Amount); toWallet > 0 {
			j = ledger.FundWithWallet(j, ledger.PGReceivable(pay.Pg.String), pay.CustomerID, toWallet)
		}
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
