package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/tax"
)

// Refunds claims and releases refundable amounts of payments in PostgreSQL. The
// claim locks the payment row, so concurrent refunds can never exceed the capture.
type Refunds struct {
	Pool *pgxpool.Pool
}

type ReserveRefundInput struct {
	RefundID  string
	PaymentID string
	Amount    int64 // 0 with Kind cancel: all that remains
	Kind      string
	Reason    string
	// Items the refund names (ADR 0016); none: Amount is spread over the items.
	Items []RefundItem
}

type ReserveRefundResult struct {
	Amount     int64
	PG         string
	PaymentKey string
	// WalletAmount of Amount goes back to the wallet, the rest through the PG,
	// in proportion to how the payment was funded (0 for card-only payments, and
	// in histories from before wallets).
	WalletAmount int64
	// PointsAmount of Amount goes back to the customer's points (ADR 0022);
	// the PG gives back Amount - WalletAmount - PointsAmount.
	PointsAmount int64
	// TaxFreeAmount of Amount is tax-free (tax.SliceTaxFree of the payment);
	// PGTaxFreeAmount of the PG's part (Amount - WalletAmount) is, as the PG
	// is told on the cancel (tax.PartSliceTaxFree of the card part).
	TaxFreeAmount   int64
	PGTaxFreeAmount int64
	// DiscountAmount of the card part is the instant discount's share
	// (issue 15): reversed on the platform's discount account, so the PG
	// gives back Amount - WalletAmount - DiscountAmount. 0 without one.
	DiscountAmount int64
}

// ReserveRefund creates the refund and claims its amount from the payment. A
// retry finds the refund it created and returns the same claim.
func (r *Refunds) ReserveRefund(ctx context.Context, in ReserveRefundInput) (ReserveRefundResult, error) {
	var out ReserveRefundResult
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		pay, err := q.GetPaymentForUpdate(ctx, in.PaymentID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nonRetryable(ErrNotRefundable, Failure{Code: "payment_not_found", Message: "no payment " + in.PaymentID}, nil)
		}
		if err != nil {
			return fmt.Errorf("lock payment %s: %w", in.PaymentID, err)
		}
		out.PG, out.PaymentKey = pay.Pg.String, pay.PgPaymentKey.String
		if rf, err := q.GetRefund(ctx, in.RefundID); err == nil {
			return claimOf(ctx, q, pay, rf.RefundedBefore, rf.Amount, &out)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load refund %s: %w", in.RefundID, err)
		}
		if pay.Status != "succeeded" && pay.Status != "partially_refunded" {
			return nonRetryable(ErrNotRefundable, Failure{Code: "payment_not_refundable",
				Message: "payment is " + pay.Status}, nil)
		}
		items, plan, err := planRefund(ctx, q, pay, in)
		if err != nil {
			return err
		}
		remaining := pay.CapturedAmount - pay.RefundedAmount
		amount := in.Amount
		if amount == 0 && in.Kind == "cancel" {
			amount = remaining
		}
		if len(in.Items) > 0 {
			amount = planTotal(plan)
		}
		if amount <= 0 || amount > remaining {
			return nonRetryable(ErrNotRefundable, Failure{Code: "refund_exceeds_remaining",
				Message: fmt.Sprintf("refundable amount is %d", remaining)}, nil)
		}
		if _, err := q.CreateRefund(ctx, db.CreateRefundParams{
			ID: in.RefundID, PaymentID: pay.ID, Amount: amount, Reason: in.Reason, Kind: in.Kind,
			RefundedBefore: pay.RefundedAmount,
		}); err != nil {
			return fmt.Errorf("create refund %s: %w", in.RefundID, err)
		}
		if plan != nil {
			if err := recordRefundItems(ctx, q, in.RefundID, items, plan); err != nil {
				return err
			}
		}
		refunded := pay.RefundedAmount + amount
		if err := q.SetPaymentRefunded(ctx, db.SetPaymentRefundedParams{
			ID: pay.ID, RefundedAmount: refunded, Status: refundedStatus(refunded, pay.CapturedAmount, in.Kind),
		}); err != nil {
			return fmt.Errorf("claim refund %s: %w", in.RefundID, err)
		}
		if err := claimOf(ctx, q, pay, pay.RefundedAmount, amount, &out); err != nil {
			return err
		}
		return recordEvent(ctx, q, pay.ID, "refund:"+in.RefundID+":requested", map[string]string{"amount": fmt.Sprint(amount)})
	})
	return out, err
}

// claimOf fills in how the slice [before, before+amount) of the payment is
// funded (card or wallet) and how much of it, and of the PG's part, is tax-free.
func claimOf(ctx context.Context, q *db.Queries, pay db.Payment, before, amount int64, out *ReserveRefundResult) error {
	items, err := q.ListPaymentItems(ctx, pay.ID)
	if err != nil {
		return fmt.Errorf("load items of %s: %w", pay.ID, err)
	}
	var taxFree int64
	for _, it := range items {
		taxFree += it.TaxFreeAmount
	}
	card := pay.Amount - pay.WalletAmount - pay.PointsAmount
	cardBefore, _, _ := refundTenders(pay, 0, before)
	cardPart, walletPart, pointsPart := refundTenders(pay, before, amount)
	out.Amount, out.WalletAmount, out.PointsAmount = amount, walletPart, pointsPart
	out.TaxFreeAmount = tax.SliceTaxFree(pay.Amount, taxFree, before, amount)
	out.PGTaxFreeAmount = tax.PartSliceTaxFree(pay.Amount, taxFree, card, cardBefore, cardPart)
	if out.DiscountAmount, err = refundDiscountShare(ctx, q, pay, before, amount); err != nil {
		return err
	}
	out.PGTaxFreeAmount = min(out.PGTaxFreeAmount, cardPart-out.DiscountAmount)
	return nil
}

type ReleaseRefundInput struct {
	RefundID string
	Code     string
	Message  string
}

// ReleaseRefund gives back the claim of a refund the PG refused for good.
func (r *Refunds) ReleaseRefund(ctx context.Context, in ReleaseRefundInput) error {
	return pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		rf, err := q.GetRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("load refund %s: %w", in.RefundID, err)
		}
		pay, err := q.GetPaymentForUpdate(ctx, rf.PaymentID)
		if err != nil {
			return fmt.Errorf("lock payment %s: %w", rf.PaymentID, err)
		}
		n, err := q.MarkRefundFailed(ctx, db.MarkRefundFailedParams{ID: rf.ID, FailureCode: text(in.Code), FailureMessage: text(in.Message)})
		if err != nil || n == 0 { // n == 0: released by an earlier attempt
			return err
		}
		refunded := pay.RefundedAmount - rf.Amount
		if err := q.SetPaymentRefunded(ctx, db.SetPaymentRefundedParams{
			ID: pay.ID, RefundedAmount: refunded, Status: refundedStatus(refunded, pay.CapturedAmount, ""),
		}); err != nil {
			return fmt.Errorf("release refund %s: %w", rf.ID, err)
		}
		return recordEvent(ctx, q, pay.ID, "refund:"+rf.ID+":failed", map[string]string{"code": in.Code})
	})
}

func refundedStatus(refunded, captured int64, kind string) string {
	switch {
	case refunded == 0:
		return "succeeded"
	case refunded < captured:
		return "partially_refunded"
	case kind == "cancel":
		return "canceled"
	default:
		return "refunded"
	}
}
