package activities_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/db"
)

// N checkouts of one customer earning at once never pass the monthly cap
// together: the grants add up to the cap exactly, the ledger and the buckets
// owe that, and a retried earning neither earns nor counts twice. The next
// KST month starts from zero.
func TestEarnPointsMonthlyCapUnderConcurrency(t *testing.T) {
	p, q, ctx, pool := pointsRigPool(t)
	store := &activities.Store{Pool: pool}
	const n = 8
	for i := range n {
		id := fmt.Sprintf("pay_cap%d", i)
		require.NoError(t, store.CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: id, OrderID: "o-" + id, CustomerID: "cus_p",
			Currency: "KRW", Amount: 50_000, WalletAmount: 50_000, Items: []activities.ItemInput{{ProducerID: "farm", Amount: 50_000}}, WorkflowID: "w-" + id}))
	}
	// 2026-01-31 23:30 KST is still January there (14:30 UTC).
	jan := time.Date(2026, 1, 31, 14, 30, 0, 0, time.UTC)
	earn := func(i int, at time.Time) activities.EarnPointsInput {
		return activities.EarnPointsInput{PaymentID: fmt.Sprintf("pay_cap%d", i), CustomerID: "cus_p", Currency: "KRW",
			Base: 50_000, RateBPS: 200, At: at, Validity: 365 * 24 * time.Hour, Capped: true, MonthlyCap: 3_500}
	}

	granted := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.EarnPoints(ctx, earn(i, jan))
			require.NoError(t, err)
			granted[i] = res.Points
		}()
	}
	wg.Wait()

	var sum int64
	for _, g := range granted {
		require.Contains(t, []int64{0, 500, 1_000}, g, "each gets its 1,000 or what the cap leaves")
		sum += g
	}
	require.EqualValues(t, 3_500, sum)
	owed, inBuckets := pointsBalance(t, ctx, q)
	require.EqualValues(t, 3_500, owed)
	require.EqualValues(t, 3_500, inBuckets)
	used, err := q.MonthlyPointsUsed(ctx, db.MonthlyPointsUsedParams{CustomerID: "cus_p", Month: pgtype.Date{Time: activities.MonthOf(jan), Valid: true}})
	require.NoError(t, err)
	require.EqualValues(t, 3_500, used)

	for i := range n - 1 { // retries answer what they earned and change nothing
		res, err := p.EarnPoints(ctx, earn(i, jan))
		require.NoError(t, err)
		require.Equal(t, granted[i], res.Points)
	}
	owed, _ = pointsBalance(t, ctx, q)
	require.EqualValues(t, 3_500, owed)

	// 2026-02-01 00:30 KST (15:30 UTC on Jan 31) is February: a fresh cap.
	res, err := p.EarnPoints(ctx, earn(n-1, jan.Add(time.Hour)))
	require.NoError(t, err)
	require.EqualValues(t, 1_000, res.Points)
}

// The version in force is the latest one that had begun; what the rules
// match on comes from the method and the customer; sets are append-only.
func TestResolveBenefits(t *testing.T) {
	p, q, ctx, _ := pointsRigPool(t)
	_, err := q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{ID: "pm_b", CustomerID: "cus_p", Kind: "card",
		CardBrand: pgtype.Text{String: "Shinhan", Valid: true}, CardBin: "45120012"})
	require.NoError(t, err)
	_, err = p.Pool.Exec(ctx, "UPDATE customers SET membership_tier = 'gold' WHERE id = 'cus_p'")
	require.NoError(t, err)

	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	v1 := insertRuleSet(t, q, t0, 1_000, db.InsertBenefitRuleParams{Name: "shinhan", Issuer: pgtype.Text{String: "shinhan", Valid: true}, PointsBps: 300})
	v2 := insertRuleSet(t, q, t0.Add(48*time.Hour), -1, db.InsertBenefitRuleParams{Name: "bin", BinPrefix: pgtype.Text{String: "451200", Valid: true}, PointsBps: 400, MinAmount: 5_000})
	require.NoError(t, q.InsertBenefitMultiplier(ctx, db.InsertBenefitMultiplierParams{RuleSetVersion: v2, Tier: "gold", MultiplierBps: 15_000}))

	resolve := func(at time.Time) activities.ResolveBenefitsResult {
		r, err := p.ResolveBenefits(ctx, activities.ResolveBenefitsInput{CustomerID: "cus_p", MethodID: "pm_b", Currency: "KRW", At: at})
		require.NoError(t, err)
		return r
	}
	before := resolve(t0.Add(-time.Second))
	require.Zero(t, before.RuleSet.Version, "nothing in force yet")
	require.Equal(t, benefit.Card{Issuer: "Shinhan", BIN: "45120012"}, before.Card)
	require.Equal(t, "gold", before.Tier)

	first := resolve(t0.Add(24 * time.Hour))
	require.Equal(t, benefit.RuleSet{Version: v1, MonthlyPointsCap: 1_000, MonthlyDiscountCap: -1,
		Rules: []benefit.Rule{{Name: "shinhan", Issuer: "shinhan", PointsBPS: 300}}}, first.RuleSet)
	second := resolve(t0.Add(48 * time.Hour))
	require.Equal(t, benefit.RuleSet{Version: v2, MonthlyPointsCap: -1, MonthlyDiscountCap: -1,
		Rules:       []benefit.Rule{{Name: "bin", BINPrefix: "451200", PointsBPS: 400, MinAmount: 5_000}},
		Multipliers: []benefit.Multiplier{{Tier: "gold", BPS: 15_000}}}, second.RuleSet)

	_, err = p.Pool.Exec(ctx, "UPDATE benefit_rules SET points_bps = 9000 WHERE rule_set_version = $1", v1)
	require.ErrorContains(t, err, "never edited")
	_, err = p.Pool.Exec(ctx, "DELETE FROM benefit_rule_sets WHERE version = $1", v1)
	require.Error(t, err)
}

func insertRuleSet(t *testing.T, q *db.Queries, from time.Time, monthlyCap int64, rule db.InsertBenefitRuleParams) int64 {
	t.Helper()
	ctx := t.Context()
	set, err := q.InsertBenefitRuleSet(ctx, db.InsertBenefitRuleSetParams{Currency: "KRW", EffectiveFrom: pgtype.Timestamptz{Time: from, Valid: true},
		MonthlyPointsCap: pgtype.Int8{Int64: monthlyCap, Valid: monthlyCap >= 0}, CreatedBy: "test"})
	require.NoError(t, err)
	rule.RuleSetVersion = set.Version
	require.NoError(t, q.InsertBenefitRule(ctx, rule))
	return set.Version
}

// An item's card part is its share of what the card paid, of what is left of
// it after refunds, rounded down: the parts never add up to more than the card.
func TestItemCardPart(t *testing.T) {
	require.EqualValues(t, 24_000, activities.ItemCardPart(50_000, 10_000, 30_000, 0))
	require.EqualValues(t, 16_000, activities.ItemCardPart(50_000, 10_000, 20_000, 0))
	require.EqualValues(t, 12_000, activities.ItemCardPart(50_000, 10_000, 30_000, 15_000))
	require.Zero(t, activities.ItemCardPart(50_000, 10_000, 30_000, 30_000), "refunded in full")
	require.Zero(t, activities.ItemCardPart(50_000, 50_000, 30_000, 0), "the wallet paid it all")
	var sum int64
	for _, it := range []int64{3_333, 3_333, 3_334} {
		sum += activities.ItemCardPart(10_000, 1, it, 0)
	}
	require.LessOrEqual(t, sum, int64(9_999))
}

// A payment earning at confirmation earns per confirmed item, once each, at
// the confirmation's time; one earning at capture earns nothing here.
func TestEarnItemPoints(t *testing.T) {
	p, q, ctx, pool := pointsRigPool(t)
	store := &activities.Store{Pool: pool}
	_, err := q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{ID: "pm_conf", CustomerID: "cus_p", Kind: "card"})
	require.NoError(t, err)
	require.NoError(t, store.CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: "pay_conf", OrderID: "o-conf", CustomerID: "cus_p",
		Currency: "KRW", Amount: 50_000, WalletAmount: 10_000, MethodID: "pm_conf", Items: []activities.ItemInput{{ProducerID: "a", Amount: 30_000}, {ProducerID: "b", Amount: 20_000}}, WorkflowID: "w-conf"}))
	require.NoError(t, store.RecordBenefit(ctx, activities.RecordBenefitInput{PaymentID: "pay_conf", AtConfirmation: true, Validity: 24 * time.Hour,
		Benefit: benefit.Result{RateBPS: 500, Points: 2_000, MonthlyPointsCap: -1}}))
	require.NoError(t, store.RecordBenefit(ctx, activities.RecordBenefitInput{PaymentID: "pay_p1", Benefit: benefit.Result{RateBPS: 500}}))
	at := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)

	for range 2 {
		res, err := p.EarnItemPoints(ctx, activities.EarnItemPointsInput{ItemRef: activities.ItemRef{PaymentID: "pay_conf", ProducerID: "a"}, At: at})
		require.NoError(t, err)
		require.EqualValues(t, 1_200, res.Points, "5% of 24,000, the item's card part")
	}
	res, err := p.EarnItemPoints(ctx, activities.EarnItemPointsInput{ItemRef: activities.ItemRef{PaymentID: "pay_p1", ProducerID: "farm"}, At: at})
	require.NoError(t, err)
	require.Zero(t, res.Points, "earned at capture")

	owed, inBuckets := pointsBalance(t, ctx, q)
	require.EqualValues(t, 1_200, owed)
	require.EqualValues(t, 1_200, inBuckets)
	rows, err := q.ListPointsBuckets(ctx, "cus_p")
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, at, rows[0].EarnedAt.Time.UTC())
	require.Equal(t, at.Add(24*time.Hour), rows[0].ExpiresAt.Time.UTC())
}

// A paid membership's tier is what the multipliers match on while its paid
// period covers the checkout (part B's memberships table), and not after.
func TestResolveBenefitsReadsThePaidMembershipsTier(t *testing.T) {
	p, q, ctx, _ := pointsRigPool(t)
	_, err := q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{ID: "pm_m", CustomerID: "cus_p", Kind: "card", CardBin: "45120012"})
	require.NoError(t, err)
	paid := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	_, err = p.Pool.Exec(ctx, `INSERT INTO memberships (id, customer_id, plan_id, tier, method_id, currency, price, status, anchor_day, schedule_id, paid_until)
		VALUES ('mem_1', 'cus_p', 'plus', 'gold', 'pm_m', 'KRW', 9900, 'canceled', 1, 'membership:mem_1', $1)`, paid)
	require.NoError(t, err)
	tier := func(at time.Time) string {
		r, err := p.ResolveBenefits(ctx, activities.ResolveBenefitsInput{CustomerID: "cus_p", MethodID: "pm_m", Currency: "KRW", At: at})
		require.NoError(t, err)
		return r.Tier
	}
	require.Equal(t, "gold", tier(paid.Add(-time.Hour)), "within the paid period, even once canceled")
	require.Equal(t, "", tier(paid.Add(time.Hour)), "the period is over and the customer has no tier of its own")
}
