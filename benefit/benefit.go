// Package benefit evaluates finance's benefit rules (issue 15) for a checkout:
// which partner-card rule a card matches, the points rate it earns with the
// customer's membership multiplier, and the points that makes. Evaluate is a
// pure function, so the checkout workflow can call it and replay it.
package benefit

import (
	"strings"

	"github.com/paysaga/paysaga/cardbin"
)

// MaxBPS is the highest points rate: all of the card part.
const MaxBPS = 10_000

// RuleSet is one version of the rules, as in force at a checkout's start.
// Version 0 means none was in force: only the base rate applies.
type RuleSet struct {
	Version     int64
	Rules       []Rule       // in position order: the first match wins
	Multipliers []Multiplier // by tier
	// MonthlyPointsCap bounds the points a customer earns from checkouts in a
	// calendar month (KST); < 0: no cap.
	MonthlyPointsCap int64
	// MonthlyDiscountCap bounds the instant discounts a customer gets in a
	// calendar month (KST), apart from the points cap; < 0: no cap.
	MonthlyDiscountCap int64
}

// Rule is a partner-card rule: a card matching Issuer (ignoring case) and/or
// BINPrefix earns PointsBPS of the card part when that is MinAmount or more,
// and takes an instant discount off it: DiscountBPS of it, or DiscountAmount
// won (at most one of the two; 0: no discount).
type Rule struct {
	Name           string
	Issuer         string // "": any issuer
	BINPrefix      string // "": any BIN
	PointsBPS      int64
	MinAmount      int64
	DiscountBPS    int64
	DiscountAmount int64
}

// Multiplier multiplies the points rate of a customer of Tier by BPS/10000.
type Multiplier struct {
	Tier string
	BPS  int64
}

// Card is what the rules match on, from the billing key's card data.
type Card struct {
	Issuer string // payment_methods.card_brand
	BIN    string // payment_methods.card_bin, "" when unknown
}

// Result is the benefit of one checkout.
type Result struct {
	RuleSetVersion int64  // 0: no rule set was in force
	Rule           string // the rule that matched; "": the base rate
	Tier           string // the membership tier whose multiplier applied; "": none
	RateBPS        int64  // points rate of the card part, multiplier included
	Points         int64  // points to earn, before the monthly cap
	// MonthlyPointsCap as in the rule set (< 0: none).
	MonthlyPointsCap int64
	// Discount is the instant discount taken off the card part: the PG is
	// charged the card part less it, and points are a rate of that. The card
	// is always charged at least 1 (a discount never covers all of it).
	Discount int64
	// MonthlyDiscountCap as in the rule set (< 0: none).
	MonthlyDiscountCap int64
}

// Evaluate is the benefit of paying cardAmount with card for a customer of
// tier, baseBPS being the rate when no rule matches. Rates are rounded down
// and never exceed MaxBPS; points are RateBPS of cardAmount, rounded down.
func Evaluate(set RuleSet, card Card, tier string, baseBPS, cardAmount int64) Result {
	res := Result{RuleSetVersion: set.Version, RateBPS: clamp(baseBPS), MonthlyPointsCap: set.MonthlyPointsCap, MonthlyDiscountCap: set.MonthlyDiscountCap}
	if set.Version == 0 {
		res.MonthlyPointsCap, res.MonthlyDiscountCap = -1, -1
	}
	if cardAmount <= 0 {
		res.RateBPS = 0
		return res
	}
	if r, ok := match(set.Rules, card, cardAmount); ok {
		res.Rule, res.RateBPS = r.Name, clamp(r.PointsBPS)
		res.Discount = discountOf(r, cardAmount)
	}
	if m, ok := multiplierOf(set.Multipliers, tier); ok && res.RateBPS > 0 {
		res.Tier = m.Tier
		res.RateBPS = clamp(res.RateBPS * m.BPS / 10_000) // both <= 100000: no overflow
	}
	res.Points = pointsOf(cardAmount-res.Discount, res.RateBPS)
	return res
}

// WithinDiscountCap is the result with its discount cut to room (what the
// month's cap leaves; < 0 is none), the points following the larger charge.
func (res Result) WithinDiscountCap(cardAmount, room int64) Result {
	room = max(room, 0)
	if res.Discount <= room {
		return res
	}
	res.Discount = room
	res.Points = pointsOf(cardAmount-res.Discount, res.RateBPS)
	return res
}

// discountOf is rule r's instant discount on amount: its rate rounded down,
// or its fixed amount, leaving the card at least 1 to pay.
func discountOf(r Rule, amount int64) int64 {
	d := r.DiscountAmount
	if r.DiscountBPS > 0 {
		d = pointsOf(amount, clamp(r.DiscountBPS))
	}
	return min(max(d, 0), max(amount-1, 0))
}

// Matches says whether rule r applies to a card part of amount paid with card.
func (r Rule) Matches(card Card, amount int64) bool {
	if r.Issuer == "" && r.BINPrefix == "" {
		return false // a rule must name something; the API refuses one that does not
	}
	if r.Issuer != "" && !strings.EqualFold(strings.TrimSpace(card.Issuer), r.Issuer) {
		return false
	}
	if r.BINPrefix != "" && !cardbin.Matches(card.BIN, r.BINPrefix) {
		return false
	}
	return amount >= r.MinAmount
}

func match(rules []Rule, card Card, amount int64) (Rule, bool) {
	for _, r := range rules {
		if r.Matches(card, amount) {
			return r, true
		}
	}
	return Rule{}, false
}

func multiplierOf(ms []Multiplier, tier string) (Multiplier, bool) {
	if tier == "" {
		return Multiplier{}, false
	}
	for _, m := range ms {
		if m.Tier == tier && m.BPS > 0 {
			return m, true
		}
	}
	return Multiplier{}, false
}

func clamp(bps int64) int64 {
	return min(max(bps, 0), MaxBPS)
}

// pointsOf is bps of amount rounded down, without overflowing for any int64 amount.
func pointsOf(amount, bps int64) int64 {
	if amount <= 0 || bps <= 0 {
		return 0
	}
	return amount/10_000*bps + amount%10_000*bps/10_000
}
