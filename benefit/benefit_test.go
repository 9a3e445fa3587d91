package benefit

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

var partnerSet = RuleSet{
	Version: 7,
	Rules: []Rule{
		{Name: "shinhan-deep", Issuer: "shinhan", BINPrefix: "45120012", PointsBPS: 500},
		{Name: "shinhan", Issuer: "SHINHAN", PointsBPS: 300, MinAmount: 10_000},
		{Name: "bin-only", BINPrefix: "433012", PointsBPS: 200},
	},
	Multipliers:      []Multiplier{{Tier: "gold", BPS: 15_000}, {Tier: "max", BPS: 100_000}},
	MonthlyPointsCap: 5_000,
}

func TestEvaluate(t *testing.T) {
	cases := []struct {
		name     string
		set      RuleSet
		card     Card
		tier     string
		amount   int64
		wantRule string
		wantTier string
		wantBPS  int64
		wantPts  int64
	}{
		{name: "issuer rule", set: partnerSet, card: Card{Issuer: "Shinhan", BIN: "451200"}, amount: 50_000, wantRule: "shinhan", wantBPS: 300, wantPts: 1_500},
		{name: "first match wins: issuer and 8-digit BIN", set: partnerSet, card: Card{Issuer: "shinhan", BIN: "45120012"}, amount: 50_000, wantRule: "shinhan-deep", wantBPS: 500, wantPts: 2_500},
		{name: "8-digit prefix never matches a 6-digit BIN", set: partnerSet, card: Card{Issuer: "shinhan", BIN: "451200"}, amount: 5_000, wantBPS: 100, wantPts: 50},
		{name: "under the rule's minimum: base rate", set: partnerSet, card: Card{Issuer: "shinhan"}, amount: 9_999, wantBPS: 100, wantPts: 99},
		{name: "BIN-only rule", set: partnerSet, card: Card{Issuer: "hyundai", BIN: "43301234"}, amount: 12_345, wantRule: "bin-only", wantBPS: 200, wantPts: 246},
		{name: "no match: base rate", set: partnerSet, card: Card{Issuer: "kb"}, amount: 50_000, wantBPS: 100, wantPts: 500},
		{name: "membership multiplies the rule's rate", set: partnerSet, card: Card{Issuer: "shinhan"}, tier: "gold", amount: 50_000, wantRule: "shinhan", wantTier: "gold", wantBPS: 450, wantPts: 2_250},
		{name: "multiplier clamps at the whole card part", set: RuleSet{Version: 1, Rules: []Rule{{Name: "big", Issuer: "x", PointsBPS: 2_000}}, Multipliers: []Multiplier{{Tier: "max", BPS: 100_000}}}, card: Card{Issuer: "x"}, tier: "max", amount: 1_000, wantRule: "big", wantTier: "max", wantBPS: 10_000, wantPts: 1_000},
		{name: "unknown tier: no multiplier", set: partnerSet, card: Card{Issuer: "kb"}, tier: "bronze", amount: 50_000, wantBPS: 100, wantPts: 500},
		{name: "no rule set: base rate only", set: RuleSet{}, card: Card{Issuer: "shinhan"}, tier: "gold", amount: 50_000, wantBPS: 100, wantPts: 500},
		{name: "no card part: nothing", set: partnerSet, card: Card{Issuer: "shinhan"}, amount: 0, wantBPS: 0, wantPts: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.set, tc.card, tc.tier, 100, tc.amount)
			require.Equal(t, tc.wantRule, got.Rule)
			require.Equal(t, tc.wantTier, got.Tier)
			require.Equal(t, tc.wantBPS, got.RateBPS)
			require.Equal(t, tc.wantPts, got.Points)
			require.Equal(t, tc.set.Version, got.RuleSetVersion)
		})
	}
	require.Equal(t, int64(-1), Evaluate(RuleSet{}, Card{}, "", 100, 1).MonthlyPointsCap, "no rule set, no cap")
	require.Equal(t, int64(5_000), Evaluate(partnerSet, Card{}, "", 100, 1).MonthlyPointsCap)
}

// Properties over random rule sets and amounts: the rate stays within
// 0..MaxBPS, points are exactly floor(amount*rate/10000) (checked with big
// integers, so no overflow for any amount), never more than the card part,
// never fewer for a larger amount under the same match, and the same inputs
// always give the same result.
func TestEvaluateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 15))
	issuers := []string{"shinhan", "hyundai", "kb", ""}
	for i := range 20_000 {
		set := RuleSet{Version: int64(i + 1), MonthlyPointsCap: r.Int64N(10_000) - 1}
		for j := range r.IntN(4) {
			set.Rules = append(set.Rules, Rule{Name: string(rune('a' + j)), Issuer: issuers[r.IntN(len(issuers))],
				BINPrefix: []string{"", "433012", "43301234"}[r.IntN(3)], PointsBPS: r.Int64N(12_000), MinAmount: r.Int64N(100_000)})
		}
		if r.IntN(2) == 0 {
			set.Multipliers = []Multiplier{{Tier: "gold", BPS: 10_000 + r.Int64N(90_001)}}
		}
		card := Card{Issuer: issuers[r.IntN(len(issuers))], BIN: []string{"", "433012", "43301234", "999999"}[r.IntN(4)]}
		tier := []string{"", "gold", "silver"}[r.IntN(3)]
		amount := r.Int64N(1 << 62)
		if r.IntN(2) == 0 {
			amount = r.Int64N(1_000_000)
		}
		base := r.Int64N(500)

		got := Evaluate(set, card, tier, base, amount)
		require.Equal(t, got, Evaluate(set, card, tier, base, amount), "deterministic")
		require.GreaterOrEqual(t, got.RateBPS, int64(0))
		require.LessOrEqual(t, got.RateBPS, int64(MaxBPS))
		want := new(big.Int).Mul(big.NewInt(amount), big.NewInt(got.RateBPS))
		want.Quo(want, big.NewInt(10_000))
		require.Equal(t, want.Int64(), got.Points, "floor(amount*rate/10000) for %d at %d bps", amount, got.RateBPS)
		require.LessOrEqual(t, got.Points, amount)
		if got.Rule == "" && got.Tier == "" && amount > 0 {
			require.Equal(t, base, got.RateBPS, "no rule, no multiplier: the base rate")
		}
		more := Evaluate(set, card, tier, base, amount+1)
		if more.Rule == got.Rule && amount < 1<<62 {
			require.GreaterOrEqual(t, more.Points, got.Points, "monotone in the amount")
		}
	}
}

// Instant discounts: a rate or a fixed amount off the card part, points on
// what the card is charged, at least 1 left to charge, cut by the month's cap.
func TestEvaluateDiscount(t *testing.T) {
	set := RuleSet{Version: 9, MonthlyPointsCap: -1, MonthlyDiscountCap: 20_000, Rules: []Rule{
		{Name: "ten-off", Issuer: "shinhan", PointsBPS: 100, DiscountBPS: 1_000, MinAmount: 30_000},
		{Name: "fixed", Issuer: "kb", DiscountAmount: 3_000},
		{Name: "all", Issuer: "all", DiscountBPS: 10_000},
	}}
	got := Evaluate(set, Card{Issuer: "Shinhan"}, "", 50, 50_000)
	require.Equal(t, "ten-off", got.Rule)
	require.EqualValues(t, 5_000, got.Discount)
	require.EqualValues(t, 450, got.Points, "1% of the 45,000 charged")
	require.EqualValues(t, 20_000, got.MonthlyDiscountCap)
	require.EqualValues(t, 0, Evaluate(set, Card{Issuer: "shinhan"}, "", 50, 29_999).Discount, "under the minimum: base rate, no discount")
	fixed := Evaluate(set, Card{Issuer: "kb"}, "", 50, 10_000)
	require.EqualValues(t, 3_000, fixed.Discount)
	require.EqualValues(t, 0, fixed.Points, "a discount-only rule earns no points")
	require.EqualValues(t, 1_999, Evaluate(set, Card{Issuer: "kb"}, "", 50, 2_000).Discount, "the card pays at least 1")
	require.EqualValues(t, 9_999, Evaluate(set, Card{Issuer: "all"}, "", 50, 10_000).Discount)
	capped := got.WithinDiscountCap(50_000, 1_200)
	require.EqualValues(t, 1_200, capped.Discount)
	require.EqualValues(t, 488, capped.Points, "1% of 48,800")
	require.EqualValues(t, 0, got.WithinDiscountCap(50_000, -5).Discount)
	require.Equal(t, got, got.WithinDiscountCap(50_000, 5_000))
	require.EqualValues(t, -1, Evaluate(RuleSet{}, Card{}, "", 50, 1).MonthlyDiscountCap)
}
