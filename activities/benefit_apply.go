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
	row, err := q.RecordPaymentBenefitReturning(ctx, db.RecordPaymentBenefitReturningParams{
		PaymentID: in.PaymentID, RuleSetVersion: pgtype.Int8{Int64: b.RuleSetVersion, Valid: b.RuleSetVersion > 0},
		RuleName: text(b.Rule), MembershipTier: text(b.Tier), PointsBps: b.RateBPS, Points: b.Points,
		EarnAt: earnAt(in.AtConfirmation), PointsValiditySeconds: int64(in.Validity / time.Second),
	})
	if err != nil {
		return benefit.Result{}, fmt.Errorf("record benefit of %s: %w", in.PaymentID, err)
	}
	return recordedBenefit(row, b.MonthlyPointsCap), nil
}

// recordedBenefit is the benefit as stored; the monthly cap is the rule set's.
func recordedBenefit(row db.PaymentBenefit, monthlyCap int64) benefit.Result {
	return benefit.Result{
		RuleSetVersion: row.RuleSetVersion.Int64, Rule: row.RuleName.String, Tier: row.MembershipTier.String,
		RateBPS: row.PointsBps, Points: row.Points, MonthlyPointsCap: monthlyCap,
	}
}
