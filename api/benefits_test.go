package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

func ruleSetBody(from time.Time, extra string) string {
	return fmt.Sprintf(`{"currency":"KRW","effective_from":%q,"monthly_points_cap":5000,"note":"partner card launch",
		"rules":[{"name":"shinhan-partner","issuer":"신한","points_bps":300,"min_amount":10000},{"name":"bin-451200","bin_prefix":"451200","points_bps":200}%s],
		"membership_multipliers":[{"tier":"gold","multiplier_bps":15000}]}`, from.UTC().Format(time.RFC3339Nano), extra)
}

// Finance writes versions; each supersedes the last from its effective time,
// reads back as written, and is audited. The version in force is the latest
// that has begun.
func TestBenefitRuleSetVersions(t *testing.T) {
	f := newFixture(t)
	from := time.Now().Add(time.Hour).Truncate(time.Second)
	res := f.do(request{method: http.MethodPost, path: "/v1/benefit-rule-sets", role: roleFinance, body: ruleSetBody(from, "")})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var v1 benefitRuleSetResponse
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &v1))
	require.Equal(t, from.UTC(), v1.EffectiveFrom)
	require.EqualValues(t, 5_000, *v1.MonthlyPointsCap)
	require.Len(t, v1.Rules, 2)
	require.Equal(t, "신한", *v1.Rules[0].Issuer)
	require.Nil(t, v1.Rules[1].Issuer)
	require.Equal(t, []benefitMultiplierResponse{{Tier: "gold", MultiplierBPS: 15_000}}, v1.Multipliers)

	// A second version may not start before or with the first.
	res = f.do(request{method: http.MethodPost, path: "/v1/benefit-rule-sets", role: roleFinance, body: ruleSetBody(from, "")})
	res.problem(http.StatusUnprocessableEntity, codeEffectiveFromNotAfterLast)
	res = f.do(request{method: http.MethodPost, path: "/v1/benefit-rule-sets", role: roleFinance,
		body: `{"currency":"KRW","effective_from":"` + from.Add(time.Hour).Format(time.RFC3339) + `","monthly_points_cap":null}`})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	v2 := res.json()
	require.Nil(t, v2["monthly_points_cap"])

	got := f.do(request{method: http.MethodGet, path: fmt.Sprintf("/v1/benefit-rule-sets/%d", v1.Version), role: roleOps})
	require.Equal(t, http.StatusOK, got.Code)
	require.JSONEq(t, res0(t, v1), got.Body.String())
	f.do(request{method: http.MethodGet, path: "/v1/benefit-rule-sets/999999", role: roleFinance}).problem(http.StatusNotFound, codeBenefitRuleSetNotFound)

	list := f.do(request{method: http.MethodGet, path: "/v1/benefit-rule-sets", role: roleFinance})
	require.Equal(t, http.StatusOK, list.Code)
	body := list.json()
	require.Nil(t, body["in_force"], "neither has begun")
	require.Len(t, body["rule_sets"], 2)
	require.EqualValues(t, v2["version"], body["rule_sets"].([]any)[0].(map[string]any)["version"], "latest effective first")
	f.do(request{method: http.MethodGet, path: "/v1/benefit-rule-sets?currency=XXX", role: roleFinance}).problem(http.StatusUnprocessableEntity, codeUnsupportedCurrency)

	// The checkout's resolver sees v1 within its hour, v2 after.
	p := &activities.Points{Pool: f.pool}
	for at, want := range map[time.Time]int64{from.Add(-time.Second): 0, from: v1.Version, from.Add(90 * time.Minute): int64(v2["version"].(float64))} {
		r, err := p.ResolveBenefits(context.Background(), activities.ResolveBenefitsInput{CustomerID: f.customer("co-benefit-" + fmt.Sprint(want)), Currency: "KRW", At: at})
		require.NoError(t, err)
		require.Equal(t, want, r.RuleSet.Version, "at %s", at)
	}

	audited, err := f.q.AuditExists(context.Background(), db.AuditExistsParams{Object: "benefit_rule_set:" + fmt.Sprint(v1.Version), Action: auditBenefitRuleSetCreated})
	require.NoError(t, err)
	require.True(t, audited)
}

func res0(t *testing.T, v benefitRuleSetResponse) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// Bad input is a 422 with its code, and stores nothing.
func TestBenefitRuleSetBadInput(t *testing.T) {
	f := newFixture(t)
	from := time.Now().Add(time.Hour)
	cases := []struct {
		name, body, code, field string
	}{
		{"negative rate", ruleSetBody(from, `,{"name":"neg","issuer":"kb","points_bps":-5}`), codeInvalidRate, "rules[2].points_bps"},
		{"rate above the card part", ruleSetBody(from, `,{"name":"big","issuer":"kb","points_bps":10001}`), codeInvalidRate, "rules[2].points_bps"},
		{"unknown issuer format", ruleSetBody(from, `,{"name":"odd","issuer":"KB Card!","points_bps":100}`), codeInvalidIssuer, "rules[2].issuer"},
		{"short BIN prefix", ruleSetBody(from, `,{"name":"bin","bin_prefix":"4512","points_bps":100}`), codeInvalidBINPrefix, "rules[2].bin_prefix"},
		{"rule matching nothing", ruleSetBody(from, `,{"name":"any","points_bps":100}`), codeValidationFailed, "rules[2]"},
		{"duplicate rule name", ruleSetBody(from, `,{"name":"shinhan-partner","issuer":"kb","points_bps":100}`), codeValidationFailed, "rules[2].name"},
		{"effective in the past", ruleSetBody(time.Now().Add(-time.Hour), ""), codeEffectiveFromInPast, "effective_from"},
		{"negative cap", `{"currency":"KRW","effective_from":"` + from.Format(time.RFC3339) + `","monthly_points_cap":-1}`, codeInvalidAmount, "monthly_points_cap"},
		{"multiplier below 1x", `{"currency":"KRW","effective_from":"` + from.Format(time.RFC3339) + `","membership_multipliers":[{"tier":"gold","multiplier_bps":5000}]}`, codeInvalidRate, "membership_multipliers[0].multiplier_bps"},
		{"unknown currency", `{"currency":"XXX","effective_from":"` + from.Format(time.RFC3339) + `"}`, codeUnsupportedCurrency, "currency"},
		// Instant discounts (issue 15).
		{"negative discount rate", ruleSetBody(from, `,{"name":"d","issuer":"kb","discount_bps":-1}`), codeInvalidRate, "rules[2].discount_bps"},
		{"discount rate above the card part", ruleSetBody(from, `,{"name":"d","issuer":"kb","discount_bps":10001}`), codeInvalidRate, "rules[2].discount_bps"},
		{"fixed discount of zero", ruleSetBody(from, `,{"name":"d","issuer":"kb","discount_amount":0}`), codeInvalidAmount, "rules[2].discount_amount"},
		{"negative fixed discount", ruleSetBody(from, `,{"name":"d","issuer":"kb","points_bps":100,"discount_amount":-500}`), codeInvalidAmount, "rules[2].discount_amount"},
		{"both discounts", ruleSetBody(from, `,{"name":"d","issuer":"kb","discount_bps":500,"discount_amount":1000}`), codeValidationFailed, "rules[2]"},
		{"no points and no discount", ruleSetBody(from, `,{"name":"d","issuer":"kb","points_bps":0}`), codeInvalidRate, "rules[2].points_bps"},
		{"negative discount cap", `{"currency":"KRW","effective_from":"` + from.Format(time.RFC3339) + `","monthly_discount_cap":-1}`, codeInvalidAmount, "monthly_discount_cap"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			p := f.do(request{method: http.MethodPost, path: "/v1/benefit-rule-sets", role: roleFinance, body: tc.body}).problem(http.StatusUnprocessableEntity, tc.code)
			require.Equal(t, tc.field, p["errors"].([]any)[0].(map[string]any)["field"])
		})
	}
	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM benefit_rule_sets").Scan(&n))
	require.Zero(t, n, "nothing stored")
}

// The payment shows the benefit its checkout recorded.
func TestPaymentShowsBenefit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pay, _ := f.seedPayment(workflows.StatusSucceeded)
	set, err := f.q.InsertBenefitRuleSet(ctx, db.InsertBenefitRuleSetParams{Currency: "KRW",
		EffectiveFrom: pgtype.Timestamptz{Time: time.Now(), Valid: true}, CreatedBy: "test"})
	require.NoError(t, err)
	store := &activities.Store{Pool: f.pool}
	require.NoError(t, store.RecordBenefit(ctx, activities.RecordBenefitInput{PaymentID: pay,
		Benefit: benefit.Result{RuleSetVersion: set.Version, Rule: "shinhan-partner", Tier: "gold", RateBPS: 450, Points: 2_250}}))

	res := f.do(request{method: http.MethodGet, path: "/v1/payments/" + pay, role: roleApp})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, map[string]any{"rule_set_version": float64(set.Version), "rule": "shinhan-partner", "membership_tier": "gold",
		"points_rate_bps": float64(450), "points_to_earn": float64(2_250), "discount_amount": float64(0)}, res.json()["benefit"])
}

// A discount-only rule and a monthly discount cap are stored and read back;
// the payment shows the discount its checkout took.
func TestBenefitRuleSetWithInstantDiscount(t *testing.T) {
	f := newFixture(t)
	from := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	res := f.do(request{method: http.MethodPost, path: "/v1/benefit-rule-sets", role: roleFinance, body: `{"currency":"KRW","effective_from":"` + from +
		`","monthly_discount_cap":30000,"rules":[{"name":"ten-off","issuer":"shinhan","discount_bps":1000,"min_amount":20000},` +
		`{"name":"fixed","issuer":"kb","points_bps":100,"discount_amount":2000}]}`})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	body := res.json()
	require.EqualValues(t, 30_000, body["monthly_discount_cap"])
	rules := body["rules"].([]any)
	require.Equal(t, map[string]any{"name": "ten-off", "issuer": "shinhan", "bin_prefix": nil, "points_bps": float64(0), "min_amount": float64(20_000),
		"discount_bps": float64(1_000), "discount_amount": nil}, rules[0])
	require.Equal(t, float64(2_000), rules[1].(map[string]any)["discount_amount"])
	require.Nil(t, rules[1].(map[string]any)["discount_bps"])

	pay, _ := f.seedPayment(workflows.StatusSucceeded)
	require.NoError(t, (&activities.Store{Pool: f.pool}).RecordBenefit(context.Background(), activities.RecordBenefitInput{PaymentID: pay,
		Benefit: benefit.Result{Rule: "ten-off", RateBPS: 0, Discount: 1_500}}))
	got := f.do(request{method: http.MethodGet, path: "/v1/payments/" + pay, role: roleApp})
	require.Equal(t, http.StatusOK, got.Code, got.Body.String())
	require.EqualValues(t, 1_500, got.json()["benefit"].(map[string]any)["discount_amount"])
}
