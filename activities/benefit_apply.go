package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/db"
)

// ApplyBenefitInput is a checkout's benefit to evaluate and record before
// its card is charged (issue 19: in the opening's transaction, or in one of
// its own).
type ApplyBenefitInput struct {
	Resolve    ResolveBenefitsInput
	PaymentID  string
	BaseBPS    int64 // the points rate when no rule matches
	CardAmount int64 // what the card pays, before any benefit
	// AtConfirmation and Validity as in RecordBenefitInput.
	AtConfirmation bool
	Validity       time.Duration
}

// ApplyBenefit evaluates the benefit from the rule set in force and records it
// on the payment in one transaction (two statements: BenefitFacts and the
// record), for a checkout that opens step by step. It answers what is
// recorded: a retry gets its first try's benefit.
func (p *Points) ApplyBenefit(ctx context.Context, in ApplyBenefitInput) (benefit.Result, error) {
	var b benefit.Result
	err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		var err error
		b, err = applyBenefit(ctx, db.New(tx), in)
		return err
	})
	return b, err
}

// applyBenefit is ApplyBenefit's work inside the caller's transaction (the
// one-commit opening calls it in its own).
func applyBenefit(ctx context.Context, q *db.Queries, in ApplyBenefitInput) (benefit.Result, error) {
	facts, err := benefitFacts(ctx, q, in.Resolve)
	if err != nil {
		return benefit.Result{}, err
	}
	b := benefit.Evaluate(facts.RuleSet, facts.Card, facts.Tier, in.BaseBPS, in.CardAmount)
	if b.Discount > 0 && b.MonthlyDiscountCap >= 0 {
		if b, err = withinDiscountCap(ctx, q, in, b); err != nil {
			return benefit.Result{}, err
		}
	}
	row, err := q.RecordPaymentBenefitReturning(ctx, db.RecordPaymentBenefitReturningParams{
		PaymentID: in.PaymentID, RuleSetVersion: pgtype.Int8{Int64: b.RuleSetVersion, Valid: b.RuleSetVersion > 0},
		RuleName: text(b.Rule), MembershipTier: text(b.Tier), PointsBps: b.RateBPS, Points: b.Points,
		EarnAt: earnAt(in.AtConfirmation), PointsValiditySeconds: int64(in.Validity / time.Second), DiscountAmount: b.Discount,
	})
	if err != nil {
		return benefit.Result{}, fmt.Errorf("record benefit of %s: %w", in.PaymentID, err)
	}
	return recordedBenefit(row, b), nil
}

// withinDiscountCap cuts b's discount to what the customer's monthly cap
// leaves: the discounts recorded this KST month by the customer's other
// payments that did not fail, read under the customer's lock, which the
// transaction holds to its commit, so concurrent checkouts wait for each
// other's record (issue 15: the cap holds under concurrency). A payment that
// fails gives its share back; a refund does not (the discount was given).
func withinDiscountCap(ctx context.Context, q *db.Queries, in ApplyBenefitInput, b benefit.Result) (benefit.Result, error) {
	if _, err := q.LockCustomer(ctx, in.Resolve.CustomerID); err != nil {
		return b, fmt.Errorf("lock customer %s: %w", in.Resolve.CustomerID, err)
	}
	since := MonthOf(in.Resolve.At)
	sinceKST := time.Date(since.Year(), since.Month(), 1, 0, 0, 0, 0, KST)
	used, err := q.MonthlyDiscountUsed(ctx, db.MonthlyDiscountUsedParams{
		CustomerID: in.Resolve.CustomerID, PaymentID: in.PaymentID,
		Since: timestamptz(sinceKST), Until: timestamptz(sinceKST.AddDate(0, 1, 0)),
	})
	if err != nil {
		return b, fmt.Errorf("monthly discounts of %s: %w", in.Resolve.CustomerID, err)
	}
	return b.WithinDiscountCap(in.CardAmount, b.MonthlyDiscountCap-used), nil
}

// recordedBenefit is the benefit as stored; the monthly caps are evaluated's
// (the rule set's).
func recordedBenefit(row db.PaymentBenefit, evaluated benefit.Result) benefit.Result {
	return benefit.Result{
		RuleSetVersion: row.RuleSetVersion.Int64, Rule: row.RuleName.String, Tier: row.MembershipTier.String,
		RateBPS: row.PointsBps, Points: row.Points, Discount: row.DiscountAmount,
		MonthlyPointsCap: evaluated.MonthlyPointsCap, MonthlyDiscountCap: evaluated.MonthlyDiscountCap,
	}
}
