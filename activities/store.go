package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// Store records a payment's state and step timeline in PostgreSQL. Every method
// is idempotent: rows are keyed by the payment id and each step is recorded once.
type Store struct {
	Pool *pgxpool.Pool
}

type CreatePaymentInput struct {
	PaymentID  string
	OrderID    string
	CustomerID string
	MethodID   string
	Currency   string
	Amount     int64
	// WalletAmount of Amount comes from the customer's wallet; MethodID pays the
	// rest (empty when the wallet pays it all).
	WalletAmount int64
	// PointsAmount of Amount is paid with the customer's points (ADR 0022).
	PointsAmount int64
	FeeBPS       int64
	Items        []ItemInput
	WorkflowID   string
}

type ItemInput struct {
	ProducerID    string
	Amount        int64
	TaxFreeAmount int64 // of Amount; 0 in histories from before tax-free amounts
}

// CreatePayment writes the payment, its items with their fees fixed now, and the
// first timeline step, in one transaction. An item's fee is at its producer's
// registered rate, or at in.FeeBPS (the platform rate) for an unregistered one.
func (s *Store) CreatePayment(ctx context.Context, in CreatePaymentInput) error {
	return s.inTx(ctx, func(q *db.Queries) error { return createPayment(ctx, q, in) })
}

// createPayment is CreatePayment's writes, in the caller's transaction.
func createPayment(ctx context.Context, q *db.Queries, in CreatePaymentInput) error {
	var fees int64
	fee := make([]int64, len(in.Items))
	for i, it := range in.Items {
		bps, err := feeRate(ctx, q, it.ProducerID, in.FeeBPS)
		if err != nil {
			return err
		}
		fee[i] = ledger.Fee(it.Amount, bps)
		fees += fee[i]
	}
	_, err := q.CreatePayment(ctx, db.CreatePaymentParams{
		ID: in.PaymentID, OrderID: in.OrderID, CustomerID: in.CustomerID, MethodID: text(in.MethodID),
		Currency: in.Currency, Amount: in.Amount, FeeAmount: fees, WorkflowID: in.WorkflowID, WalletAmount: in.WalletAmount,
		PointsAmount: in.PointsAmount,
	})
	if err != nil {
		return fmt.Errorf("create payment %s: %w", in.PaymentID, err)
	}
	for i, it := range in.Items {
		err := q.CreatePaymentItem(ctx, db.CreatePaymentItemParams{
			PaymentID: in.PaymentID, ProducerID: it.ProducerID, Amount: it.Amount, Fee: fee[i], TaxFreeAmount: it.TaxFreeAmount,
		})
		if err != nil {
			return fmt.Errorf("create payment %s item: %w", in.PaymentID, err)
		}
	}
	return recordEvent(ctx, q, in.PaymentID, "created", map[string]string{"amount": fmt.Sprint(in.Amount), "currency": in.Currency})
}

func feeRate(ctx context.Context, q *db.Queries, producerID string, platformBPS int64) (int64, error) {
	p, err := q.GetProducer(ctx, producerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return platformBPS, nil
	}
	if err != nil {
		return 0, fmt.Errorf("fee rate of %s: %w", producerID, err)
	}
	return p.FeeBps, nil
}

type MarkAuthorizedInput struct {
	PaymentID  string
	PG         string
	PaymentKey string
	FailedOver bool // served by a PG other than the primary
}

func (s *Store) MarkAuthorized(ctx context.Context, in MarkAuthorizedInput) error {
	return s.inTx(ctx, func(q *db.Queries) error {
		err := q.MarkPaymentAuthorized(ctx, db.MarkPaymentAuthorizedParams{
			ID: in.PaymentID, Pg: text(in.PG), PgPaymentKey: text(in.PaymentKey),
		})
		if err != nil {
			return fmt.Errorf("mark %s authorized: %w", in.PaymentID, err)
		}
		return recordEvent(ctx, q, in.PaymentID, "authorized", authorizedDetail(in.PG, in.FailedOver))
	})
}

// authorizedDetail is the timeline detail of an authorization.
func authorizedDetail(pg string, failedOver bool) map[string]string {
	detail := map[string]string{"pg": pg}
	if failedOver {
		detail["failover"] = "true"
	}
	return detail
}

type RecordEventInput struct {
	PaymentID string
	Step      string
	Detail    map[string]string
}

// RecordEvent adds a step to the payment's timeline (once per step name).
func (s *Store) RecordEvent(ctx context.Context, in RecordEventInput) error {
	return recordEvent(ctx, db.New(s.Pool), in.PaymentID, in.Step, in.Detail)
}

type FailPaymentInput struct {
	PaymentID string
	Code      string
	Message   string
}

// FailPayment marks the payment failed with a stable reason code.
func (s *Store) FailPayment(ctx context.Context, in FailPaymentInput) error {
	return s.inTx(ctx, func(q *db.Queries) error {
		_, err := q.MarkPaymentFailed(ctx, db.MarkPaymentFailedParams{
			ID: in.PaymentID, FailureCode: text(in.Code), FailureMessage: text(in.Message),
		})
		if err != nil {
			return fmt.Errorf("mark %s failed: %w", in.PaymentID, err)
		}
		if err := recordEvent(ctx, q, in.PaymentID, "failed", map[string]string{"code": in.Code}); err != nil {
			return err
		}
		pay, err := q.GetPayment(ctx, in.PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", in.PaymentID, err)
		}
		if pay.Status != "failed" {
			return nil // it had moved on (e.g. canceled); no failure to announce
		}
		return emitEvent(ctx, q, EventPaymentFailed, "payment:"+pay.ID+":failed", pay.ID, map[string]any{
			"payment_id": pay.ID, "order_id": pay.OrderID, "customer_id": pay.CustomerID,
			"currency": pay.Currency, "amount": pay.Amount, "failure_code": pay.FailureCode.String,
		})
	})
}

func (s *Store) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error { return fn(db.New(tx)) })
}

func recordEvent(ctx context.Context, q *db.Queries, paymentID, step string, detail map[string]string) error {
	if detail == nil {
		detail = map[string]string{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("event detail: %w", err)
	}
	if err := q.RecordPaymentEvent(ctx, db.RecordPaymentEventParams{PaymentID: paymentID, Step: step, Detail: b}); err != nil {
		return fmt.Errorf("record %s %s: %w", paymentID, step, err)
	}
	return nil
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
