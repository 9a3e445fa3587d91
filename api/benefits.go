package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/cardbin"
	"github.com/paysaga/paysaga/db"
)

// Benefit rule sets (issue 15), managed by finance: each POST is a new
// version that supersedes the one in force from its effective_from; nothing
// is ever edited in place (the database refuses it too).

const (
	codeInvalidRate                = "invalid_rate"
	codeInvalidIssuer              = "invalid_issuer"
	codeInvalidBINPrefix           = "invalid_bin_prefix"
	codeEffectiveFromInPast        = "effective_from_in_past"
	codeEffectiveFromNotAfterLast  = "effective_from_not_after_latest"
	codeBenefitRuleSetNotFound     = "benefit_rule_set_not_found"
	auditBenefitRuleSetCreated     = "benefit_rule_set.created"
	maxBenefitRules                = 50
	maxBenefitTiers                = 20
	benefitEffectiveFromClockSlack = time.Minute
)

// issuerPattern is a card company as PGs report it (payment_methods.card_brand):
// letters (Hangul too), digits, '_' and '-', no spaces.
var issuerPattern = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,40}$`)

var tierPattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

type benefitRuleSetRequest struct {
	Currency         string    `json:"currency"`
	EffectiveFrom    time.Time `json:"effective_from"`
	MonthlyPointsCap *int64    `json:"monthly_points_cap"`
	// MonthlyDiscountCap bounds a customer's instant discounts per KST month,
	// apart from the points cap (issue 15); null: no cap.
	MonthlyDiscountCap *int64                     `json:"monthly_discount_cap"`
	Note               string                     `json:"note"`
	Rules              []benefitRuleRequest       `json:"rules"`
	Multipliers        []benefitMultiplierRequest `json:"membership_multipliers"`
}

type benefitRuleRequest struct {
	Name      string `json:"name"`
	Issuer    string `json:"issuer"`
	BINPrefix string `json:"bin_prefix"`
	PointsBPS int64  `json:"points_bps"`
	MinAmount int64  `json:"min_amount"`
	// An instant discount off the card part (issue 15): a rate or a fixed
	// amount, at most one; absent: none.
	DiscountBPS    *int64 `json:"discount_bps"`
	DiscountAmount *int64 `json:"discount_amount"`
}

type benefitMultiplierRequest struct {
	Tier          string `json:"tier"`
	MultiplierBPS int64  `json:"multiplier_bps"`
}

func (r benefitRuleSetRequest) validate(currencies []string, now time.Time) error {
	var v validation
	if !slices.Contains(currencies, r.Currency) {
		v.add(codeUnsupportedCurrency, "currency", fmt.Sprintf("must be one of %v", currencies))
	}
	switch {
	case r.EffectiveFrom.IsZero():
		v.add(codeValidationFailed, "effective_from", "is required")
	case r.EffectiveFrom.Before(now.Add(-benefitEffectiveFromClockSlack)):
		v.add(codeEffectiveFromInPast, "effective_from", "must be now or later: a running checkout keeps the version it started with, history is never rewritten")
	}
	if r.MonthlyPointsCap != nil && *r.MonthlyPointsCap < 0 {
		v.add(codeInvalidAmount, "monthly_points_cap", "must be >= 0 (or null for no cap)")
	}
	if r.MonthlyDiscountCap != nil && *r.MonthlyDiscountCap < 0 {
		v.add(codeInvalidAmount, "monthly_discount_cap", "must be >= 0 (or null for no cap)")
	}
	v.text("note", r.Note, 0, 500)
	if len(r.Rules) > maxBenefitRules {
		v.add(codeValidationFailed, "rules", fmt.Sprintf("must hold at most %d rules", maxBenefitRules))
	}
	names := map[string]bool{}
	for i, rule := range r.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		v.id(f+".name", rule.Name)
		if names[rule.Name] {
			v.add(codeValidationFailed, f+".name", "appears twice")
		}
		names[rule.Name] = true
		if rule.Issuer == "" && rule.BINPrefix == "" {
			v.add(codeValidationFailed, f, "must name an issuer, a bin_prefix or both")
		}
		if rule.Issuer != "" && !issuerPattern.MatchString(rule.Issuer) {
			v.add(codeInvalidIssuer, f+".issuer", "must be 1..40 letters, digits, _ or - (the card company as the PG reports it)")
		}
		if rule.BINPrefix != "" && !cardbin.ValidPrefix(rule.BINPrefix) {
			v.add(codeInvalidBINPrefix, f+".bin_prefix", "must be 6 to 8 digits")
		}
		validateDiscount(&v, f, rule)
		if rule.PointsBPS < 0 || rule.PointsBPS > benefit.MaxBPS || (rule.PointsBPS == 0 && !rule.discounts()) {
			v.add(codeInvalidRate, f+".points_bps", "must be within 1..10000 basis points (0 with a discount)")
		}
		if rule.MinAmount < 0 {
			v.add(codeInvalidAmount, f+".min_amount", "must be >= 0")
		}
	}
	if len(r.Multipliers) > maxBenefitTiers {
		v.add(codeValidationFailed, "membership_multipliers", fmt.Sprintf("must hold at most %d tiers", maxBenefitTiers))
	}
	tiers := map[string]bool{}
	for i, m := range r.Multipliers {
		f := fmt.Sprintf("membership_multipliers[%d]", i)
		if !tierPattern.MatchString(m.Tier) || tiers[m.Tier] {
			v.add(codeValidationFailed, f+".tier", "must be 1..32 of a-z 0-9 _ -, once each")
		}
		tiers[m.Tier] = true
		if m.MultiplierBPS < 10_000 || m.MultiplierBPS > 100_000 {
			v.add(codeInvalidRate, f+".multiplier_bps", "must be within 10000..100000 (1x..10x)")
		}
	}
	return v.err()
}

type benefitRuleSetResponse struct {
	Version            int64                       `json:"version"`
	Currency           string                      `json:"currency"`
	EffectiveFrom      time.Time                   `json:"effective_from"`
	MonthlyPointsCap   *int64                      `json:"monthly_points_cap"`
	MonthlyDiscountCap *int64                      `json:"monthly_discount_cap"`
	Note               string                      `json:"note"`
	Rules              []benefitRuleResponse       `json:"rules"`
	Multipliers        []benefitMultiplierResponse `json:"membership_multipliers"`
	CreatedBy          string                      `json:"created_by"`
	CreatedAt          time.Time                   `json:"created_at"`
}

type benefitRuleResponse struct {
	Name           string  `json:"name"`
	Issuer         *string `json:"issuer"`
	BINPrefix      *string `json:"bin_prefix"`
	PointsBPS      int64   `json:"points_bps"`
	MinAmount      int64   `json:"min_amount"`
	DiscountBPS    *int64  `json:"discount_bps"`    // null: no rate discount
	DiscountAmount *int64  `json:"discount_amount"` // null: no fixed discount
}

type benefitMultiplierResponse struct {
	Tier          string `json:"tier"`
	MultiplierBPS int64  `json:"multiplier_bps"`
}

// createBenefitRuleSet is POST /v1/benefit-rule-sets (finance): a new version,
// in force from effective_from, which must be now or later and after every
// earlier version's (so versions take over in the order they were written).
func (s *server) createBenefitRuleSet(c echo.Context) error {
	var req benefitRuleSetRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(s.cfg.Currencies, time.Now()); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var out benefitRuleSetResponse
	err := s.inTx(ctx, func(q *db.Queries) error {
		set, err := insertBenefitRuleSet(ctx, q, req, callerOf(c).ID)
		if err != nil {
			return err
		}
		if out, err = loadBenefitRuleSet(ctx, q, set); err != nil {
			return err
		}
		return s.audit(ctx, q, c, auditBenefitRuleSetCreated, "benefit_rule_set:"+strconv.FormatInt(set.Version, 10), nil, out)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func insertBenefitRuleSet(ctx context.Context, q *db.Queries, req benefitRuleSetRequest, by string) (db.BenefitRuleSet, error) {
	if err := q.LockBenefitRuleSets(ctx, req.Currency); err != nil {
		return db.BenefitRuleSet{}, internalError(fmt.Errorf("lock benefit rule sets: %w", err))
	}
	latest, err := q.LatestBenefitEffectiveFrom(ctx, req.Currency)
	if err != nil {
		return db.BenefitRuleSet{}, internalError(fmt.Errorf("latest benefit rule set: %w", err))
	}
	if latest.Valid && latest.InfinityModifier == pgtype.Finite && !req.EffectiveFrom.After(latest.Time) {
		var v validation
		v.add(codeEffectiveFromNotAfterLast, "effective_from", "must be after the latest version's effective_from "+latest.Time.UTC().Format(time.RFC3339))
		return db.BenefitRuleSet{}, v.err()
	}
	set, err := q.InsertBenefitRuleSet(ctx, db.InsertBenefitRuleSetParams{
		Currency: req.Currency, EffectiveFrom: pgtype.Timestamptz{Time: req.EffectiveFrom, Valid: true},
		MonthlyPointsCap: int8Of(req.MonthlyPointsCap), MonthlyDiscountCap: int8Of(req.MonthlyDiscountCap), Note: req.Note, CreatedBy: by,
	})
	if err != nil {
		return set, internalError(fmt.Errorf("insert benefit rule set: %w", err))
	}
	for i, r := range req.Rules {
		err := q.InsertBenefitRule(ctx, db.InsertBenefitRuleParams{RuleSetVersion: set.Version, Position: int32(i), Name: r.Name,
			Issuer: pgText(r.Issuer), BinPrefix: pgText(r.BINPrefix), PointsBps: r.PointsBPS, MinAmount: r.MinAmount,
			DiscountBps: deref0(r.DiscountBPS), DiscountAmount: deref0(r.DiscountAmount)})
		if err != nil {
			return set, internalError(fmt.Errorf("insert benefit rule %s: %w", r.Name, err))
		}
	}
	for _, m := range req.Multipliers {
		err := q.InsertBenefitMultiplier(ctx, db.InsertBenefitMultiplierParams{RuleSetVersion: set.Version, Tier: m.Tier, MultiplierBps: m.MultiplierBPS})
		if err != nil {
			return set, internalError(fmt.Errorf("insert benefit multiplier %s: %w", m.Tier, err))
		}
	}
	return set, nil
}

func loadBenefitRuleSet(ctx context.Context, q *db.Queries, set db.BenefitRuleSet) (benefitRuleSetResponse, error) {
	rs, err := activities.LoadBenefitRuleSet(ctx, q, set)
	if err != nil {
		return benefitRuleSetResponse{}, internalError(err)
	}
	out := benefitRuleSetResponse{Version: set.Version, Currency: set.Currency, EffectiveFrom: set.EffectiveFrom.Time.UTC(), Note: set.Note,
		Rules: make([]benefitRuleResponse, 0, len(rs.Rules)), Multipliers: make([]benefitMultiplierResponse, 0, len(rs.Multipliers)),
		CreatedBy: set.CreatedBy, CreatedAt: set.CreatedAt.Time.UTC()}
	if set.MonthlyPointsCap.Valid {
		out.MonthlyPointsCap = &set.MonthlyPointsCap.Int64
	}
	if set.MonthlyDiscountCap.Valid {
		out.MonthlyDiscountCap = &set.MonthlyDiscountCap.Int64
	}
	for _, r := range rs.Rules {
		out.Rules = append(out.Rules, benefitRuleResponse{Name: r.Name, Issuer: nullable(r.Issuer), BINPrefix: nullable(r.BINPrefix), PointsBPS: r.PointsBPS, MinAmount: r.MinAmount,
			DiscountBPS: positive(r.DiscountBPS), DiscountAmount: positive(r.DiscountAmount)})
	}
	for _, m := range rs.Multipliers {
		out.Multipliers = append(out.Multipliers, benefitMultiplierResponse{Tier: m.Tier, MultiplierBPS: m.BPS})
	}
	return out, nil
}

// getBenefitRuleSet is GET /v1/benefit-rule-sets/{version}.
func (s *server) getBenefitRuleSet(c echo.Context) error {
	version, err := strconv.ParseInt(c.Param("version"), 10, 64)
	if err != nil || version <= 0 {
		return problem(http.StatusNotFound, codeBenefitRuleSetNotFound, fmt.Sprintf("no benefit rule set %q", c.Param("version")))
	}
	ctx := c.Request().Context()
	set, err := s.q.GetBenefitRuleSet(ctx, version)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusNotFound, codeBenefitRuleSetNotFound, fmt.Sprintf("no benefit rule set %d", version))
	}
	if err != nil {
		return internalError(fmt.Errorf("get benefit rule set %d: %w", version, err))
	}
	out, err := loadBenefitRuleSet(ctx, s.q, set)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type benefitRuleSetList struct {
	// InForce is the version in force now (null: none has begun).
	InForce     *int64                   `json:"in_force"`
	BenefitSets []benefitRuleSetResponse `json:"rule_sets"`
}

// listBenefitRuleSets is GET /v1/benefit-rule-sets: a currency's versions,
// the latest effective first, and which one is in force now.
func (s *server) listBenefitRuleSets(c echo.Context) error {
	currency := c.QueryParam("currency")
	if currency == "" {
		currency = walletCurrency
	}
	if !slices.Contains(s.cfg.Currencies, currency) {
		var v validation
		v.add(codeUnsupportedCurrency, "currency", fmt.Sprintf("must be one of %v", s.cfg.Currencies))
		return v.err()
	}
	ctx := c.Request().Context()
	rows, err := s.q.ListBenefitRuleSets(ctx, db.ListBenefitRuleSetsParams{Currency: currency, MaxRows: 100})
	if err != nil {
		return internalError(fmt.Errorf("list benefit rule sets: %w", err))
	}
	out := benefitRuleSetList{BenefitSets: make([]benefitRuleSetResponse, 0, len(rows))}
	now := time.Now()
	for _, set := range rows {
		r, err := loadBenefitRuleSet(ctx, s.q, set)
		if err != nil {
			return err
		}
		if out.InForce == nil && !set.EffectiveFrom.Time.After(now) {
			v := set.Version
			out.InForce = &v
		}
		out.BenefitSets = append(out.BenefitSets, r)
	}
	return c.JSON(http.StatusOK, out)
}

func int8Of(v *int64) pgtype.Int8 {
	if v == nil {
		return pgtype.Int8{}
	}
	return pgtype.Int8{Int64: *v, Valid: true}
}

// benefitResponse is the benefit a checkout was evaluated to (payment_benefits).
type benefitResponse struct {
	RuleSetVersion *int64  `json:"rule_set_version"` // null: no rule set was in force
	Rule           *string `json:"rule"`             // null: no rule matched, the base rate
	MembershipTier *string `json:"membership_tier"`
	PointsRateBPS  int64   `json:"points_rate_bps"`
	PointsToEarn   int64   `json:"points_to_earn"` // before the monthly cap; points_earned is what was credited
	// DiscountAmount is the instant discount taken off the card part (issue
	// 15): the card was charged the card part less it; 0: none.
	DiscountAmount int64 `json:"discount_amount"`
}
