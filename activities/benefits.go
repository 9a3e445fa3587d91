package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// MonthOf is the first day of at's calendar month in KST: monthly benefit caps count in it.
func MonthOf(at time.Time) time.Time {
	k := at.In(KST)
	return time.Date(k.Year(), k.Month(), 1, 0, 0, 0, 0, time.UTC)
}

type ResolveBenefitsInput struct {
	CustomerID string
	MethodID   string // the card paying the card part
	Currency   string
	At         time.Time // the checkout's workflow.Now: the version in force then
}

// ResolveBenefitsResult is what the workflow evaluates the benefit from
// (benefit.Evaluate): the rule set version in force (Version 0 when none),
// the card's issuer and BIN and the customer's membership tier.
type ResolveBenefitsResult struct {
	RuleSet benefit.RuleSet
	Card    benefit.Card
	Tier    string
}

// ResolveBenefits reads the rule set in force at In.At and what its rules
// match on, in one statement (BenefitFacts). It only reads: the workflow
// records what it evaluated with RecordBenefit. Runs since issue 19's
// i19-benefit-in-opening evaluate and record in one transaction instead
// (ApplyBenefit, or the one-commit opening).
func (p *Points) ResolveBenefits(ctx context.Context, in ResolveBenefitsInput) (ResolveBenefitsResult, error) {
	return benefitFacts(ctx, db.New(p.Pool), in)
}

// benefitFacts is the rule set in force at in.At with the card and tier it
// matches, read in one round trip.
func benefitFacts(ctx context.Context, q *db.Queries, in ResolveBenefitsInput) (ResolveBenefitsResult, error) {
	f, err := q.BenefitFacts(ctx, db.BenefitFactsParams{CustomerID: in.CustomerID, MethodID: text(in.MethodID), Currency: in.Currency, At: timestamptz(in.At)})
	if err != nil {
		return ResolveBenefitsResult{}, fmt.Errorf("benefit facts of %s at %s: %w", in.CustomerID, in.At, err)
	}
	res := ResolveBenefitsResult{Card: benefit.Card{Issuer: f.Issuer, BIN: f.CardBin}, Tier: f.MembershipTier}
	if f.RuleSetVersion == 0 {
		return res, nil
	}
	res.RuleSet = benefit.RuleSet{Version: f.RuleSetVersion, MonthlyPointsCap: f.MonthlyPointsCap, MonthlyDiscountCap: f.MonthlyDiscountCap}
	var rules []factRule
	if err := json.Unmarshal(f.Rules, &rules); err != nil {
		return res, fmt.Errorf("rules of benefit rule set %d: %w", f.RuleSetVersion, err)
	}
	for _, r := range rules {
		res.RuleSet.Rules = append(res.RuleSet.Rules, r.rule())
	}
	var ms []struct {
		Tier string `json:"tier"`
		BPS  int64  `json:"multiplier_bps"`
	}
	if err := json.Unmarshal(f.Multipliers, &ms); err != nil {
		return res, fmt.Errorf("multipliers of benefit rule set %d: %w", f.RuleSetVersion, err)
	}
	for _, m := range ms {
		res.RuleSet.Multipliers = append(res.RuleSet.Multipliers, benefit.Multiplier{Tier: m.Tier, BPS: m.BPS})
	}
	return res, nil
}

// factRule is a rule as BenefitFacts spells it.
type factRule struct {
	Name           string `json:"name"`
	Issuer         string `json:"issuer"`
	BINPrefix      string `json:"bin_prefix"`
	PointsBPS      int64  `json:"points_bps"`
	MinAmount      int64  `json:"min_amount"`
	DiscountBPS    int64  `json:"discount_bps"`
	DiscountAmount int64  `json:"discount_amount"`
}

func (r factRule) rule() benefit.Rule {
	return benefit.Rule{Name: r.Name, Issuer: r.Issuer, BINPrefix: r.BINPrefix, PointsBPS: r.PointsBPS, MinAmount: r.MinAmount,
		DiscountBPS: r.DiscountBPS, DiscountAmount: r.DiscountAmount}
}

// LoadBenefitRuleSet reads a stored version's rules and multipliers.
func LoadBenefitRuleSet(ctx context.Context, q *db.Queries, set db.BenefitRuleSet) (benefit.RuleSet, error) {
	out := benefit.RuleSet{Version: set.Version, MonthlyPointsCap: -1, MonthlyDiscountCap: -1}
	if set.MonthlyPointsCap.Valid {
		out.MonthlyPointsCap = set.MonthlyPointsCap.Int64
	}
	if set.MonthlyDiscountCap.Valid {
		out.MonthlyDiscountCap = set.MonthlyDiscountCap.Int64
	}
	rules, err := q.ListBenefitRules(ctx, set.Version)
	if err != nil {
		return out, fmt.Errorf("rules of benefit rule set %d: %w", set.Version, err)
	}
	for _, r := range rules {
		out.Rules = append(out.Rules, benefit.Rule{Name: r.Name, Issuer: r.Issuer.String, BINPrefix: r.BinPrefix.String,
			PointsBPS: r.PointsBps, MinAmount: r.MinAmount, DiscountBPS: r.DiscountBps, DiscountAmount: r.DiscountAmount})
	}
	ms, err := q.ListBenefitMultipliers(ctx, set.Version)
	if err != nil {
		return out, fmt.Errorf("multipliers of benefit rule set %d: %w", set.Version, err)
	}
	for _, m := range ms {
		out.Multipliers = append(out.Multipliers, benefit.Multiplier{Tier: m.Tier, BPS: m.MultiplierBps})
	}
	return out, nil
}

type RecordBenefitInput struct {
	PaymentID string
	Benefit   benefit.Result
	// AtConfirmation: the points are earned per item at purchase
	// confirmation, valid Validity from it (ItemPoints); else at capture.
	AtConfirmation bool
	Validity       time.Duration
}

// When a payment's points are earned, as stored.
const (
	EarnAtCapture      = "capture"
	EarnAtConfirmation = "confirmation"
)

// RecordBenefit stores the benefit a checkout was evaluated to (the rule set
// version it used) before the card is charged; idempotent.
func (s *Store) RecordBenefit(ctx context.Context, in RecordBenefitInput) error {
	b := in.Benefit
	_, err := db.New(s.Pool).RecordPaymentBenefitReturning(ctx, db.RecordPaymentBenefitReturningParams{
		PaymentID: in.PaymentID, RuleSetVersion: pgtype.Int8{Int64: b.RuleSetVersion, Valid: b.RuleSetVersion > 0},
		RuleName: text(b.Rule), MembershipTier: text(b.Tier), PointsBps: b.RateBPS, Points: b.Points,
		EarnAt: earnAt(in.AtConfirmation), PointsValiditySeconds: int64(in.Validity / time.Second), DiscountAmount: b.Discount,
	})
	if err != nil {
		return fmt.Errorf("record benefit of %s: %w", in.PaymentID, err)
	}
	return nil
}

// grantWithinCap is how many of want points the customer's monthly cap lets
// through, raising the month's usage by that in the caller's transaction
// (which holds the customer's lock; the usage row is locked as well).
func grantWithinCap(ctx context.Context, q *db.Queries, customerID string, at time.Time, want, cap int64) (int64, error) {
	month := pgtype.Date{Time: MonthOf(at), Valid: true}
	if err := q.EnsureMonthlyUsage(ctx, db.EnsureMonthlyUsageParams{CustomerID: customerID, Month: month}); err != nil {
		return 0, fmt.Errorf("monthly usage of %s: %w", customerID, err)
	}
	granted, err := q.GrantMonthlyPoints(ctx, db.GrantMonthlyPointsParams{Want: want, Cap: cap, CustomerID: customerID, Month: month})
	if err != nil {
		return 0, fmt.Errorf("grant monthly points of %s: %w", customerID, err)
	}
	return granted, nil
}

func earnAt(atConfirmation bool) string {
	if atConfirmation {
		return EarnAtConfirmation
	}
	return EarnAtCapture
}

type EarnItemPointsInput struct {
	ItemRef
	At time.Time // the confirmation's time: the bucket is earned then
}

// EarnItemPoints credits the points of one confirmed item when its payment
// earns at confirmation: the benefit's rate of the item's share of the card
// part, net of what was refunded of the item before, as one bucket
// (payment:{id}:item:{producer}:points-earn) within the rule set's monthly
// cap of the confirmation's KST month. A payment that earned at capture, or
// has no benefit recorded, earns nothing here.
func (p *Points) EarnItemPoints(ctx context.Context, in EarnItemPointsInput) (EarnPointsResult, error) {
	b, err := db.New(p.Pool).ItemPointsBasis(ctx, db.ItemPointsBasisParams{PaymentID: in.PaymentID, ProducerID: in.ProducerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return EarnPointsResult{}, nil
	}
	if err != nil {
		return EarnPointsResult{}, fmt.Errorf("points basis of %s/%s: %w", in.PaymentID, in.ProducerID, err)
	}
	if b.EarnAt != EarnAtConfirmation || b.PointsBps == 0 {
		return EarnPointsResult{}, nil
	}
	in2 := EarnPointsInput{
		PaymentID: in.PaymentID, CustomerID: b.CustomerID, Currency: b.Currency, RateBPS: b.PointsBps,
		At: in.At, Validity: time.Duration(b.PointsValiditySeconds) * time.Second,
		Capped: b.MonthlyPointsCap.Valid, MonthlyCap: b.MonthlyPointsCap.Int64,
		Key: ledger.PointsItemEarnKey(in.PaymentID, in.ProducerID),
	}
	var res EarnPointsResult
	err = pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.LockCustomer(ctx, b.CustomerID); err != nil {
			return fmt.Errorf("lock customer %s: %w", b.CustomerID, err)
		}
		refunded, err := itemRefundedNow(ctx, q, in.ItemRef)
		if err != nil {
			return err
		}
		// Points spent as a tender earn none, as the wallet part (ADR 0022).
		in2.Base = ItemCardPart(b.PaymentAmount, b.WalletAmount+b.PointsAmount, b.ItemAmount, refunded)
		res.Points, err = earnLocked(ctx, q, in2)
		return err
	})
	return res, err
}

// itemRefundedNow is what the item's refunds not failed (slices and item
// refunds, in flight ones too) claimed of it, read under the customer's lock
// that ReversePoints takes too (ADR 0023): a refund claimed before the
// earning is left out of its base, one claimed after takes its share back.
func itemRefundedNow(ctx context.Context, q *db.Queries, ref ItemRef) (int64, error) {
	r, err := LoadItemRefunds(ctx, q, ref.PaymentID)
	if err != nil {
		return 0, err
	}
	if i := itemIndex(r.Items, ref.ProducerID); i >= 0 {
		return r.Refunded[i], nil
	}
	return 0, nil
}

// ItemCardPart is the part of an item the card paid: the item's share of the
// card part (amount - wallet), of what is left of the item after refunds,
// rounded down, so the items' parts never add up to more than the card paid.
func ItemCardPart(paymentAmount, walletAmount, itemAmount, itemRefunded int64) int64 {
	if paymentAmount <= 0 || itemAmount <= 0 || itemRefunded >= itemAmount {
		return 0
	}
	kept := new(big.Int).Mul(big.NewInt(itemAmount-itemRefunded), big.NewInt(paymentAmount-walletAmount))
	return kept.Quo(kept, big.NewInt(paymentAmount)).Int64()
}
