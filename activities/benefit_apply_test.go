package activities_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
)

// The one-commit opening evaluates the benefit from the rule set in force and
// records it in its own transaction, before the PG is called (issue 19); a
// retry answers what it recorded even when the card's data changed since.
func TestOpenCardPaymentRecordsTheBenefitInItsTransaction(t *testing.T) {
	f := newOpenFixture(t)
	q := f.payments.Queries
	_, err := f.store.Pool.Exec(f.ctx, "UPDATE payment_methods SET card_brand = 'Shinhan' WHERE id = 'pm_1'")
	require.NoError(t, err)
	at := time.Now().UTC()
	v := insertRuleSet(t, q, at.Add(-time.Hour), 2_000, db.InsertBenefitRuleParams{Name: "shinhan", Issuer: pgtype.Text{String: "shinhan", Valid: true}, PointsBps: 500})
	f.in.Benefit = &activities.ApplyBenefitInput{
		Resolve:   activities.ResolveBenefitsInput{CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW", At: at},
		PaymentID: "pay_2", BaseBPS: 100, CardAmount: 60_000, Validity: 24 * time.Hour,
	}

	res, err := f.open()
	require.NoError(t, err)
	require.Equal(t, "alpha", res.PG)
	require.NotNil(t, res.Benefit)
	require.Equal(t, v, res.Benefit.RuleSetVersion)
	require.Equal(t, "shinhan", res.Benefit.Rule)
	require.EqualValues(t, 500, res.Benefit.RateBPS)
	require.EqualValues(t, 3_000, res.Benefit.Points)
	require.EqualValues(t, 2_000, res.Benefit.MonthlyPointsCap)
	var points int64
	require.NoError(t, f.store.Pool.QueryRow(f.ctx, "SELECT points FROM payment_benefits WHERE payment_id = 'pay_2'").Scan(&points))
	require.EqualValues(t, 3_000, points)

	_, err = f.store.Pool.Exec(f.ctx, "UPDATE payment_methods SET card_brand = 'kb' WHERE id = 'pm_1'")
	require.NoError(t, err)
	again, err := f.open()
	require.NoError(t, err)
	require.Equal(t, res, again, "a retry gets the benefit its first try recorded and sent")
	require.Equal(t, map[string]int{"pg:alpha": 1}, f.authorizationsOf(t, "o-2"))
}

// A risk block records no benefit: nothing is charged.
func TestOpenCardPaymentBlockedRecordsNoBenefit(t *testing.T) {
	f := newOpenFixture(t)
	f.in.Benefit = &activities.ApplyBenefitInput{
		Resolve:   activities.ResolveBenefitsInput{CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW", At: time.Now()},
		PaymentID: "pay_2", BaseBPS: 100, CardAmount: 60_000, Validity: time.Hour,
	}
	_, err := db.New(f.store.Pool).CreateBlocklistEntry(f.ctx, db.CreateBlocklistEntryParams{
		ID: "bl_1", Kind: "customer", Value: "cus_1", Reason: "test", CreatedBy: "test"})
	require.NoError(t, err)
	_, err = f.open()
	require.True(t, activities.IsType(err, activities.ErrRiskBlocked), "%v", err)
	var n int
	require.NoError(t, f.store.Pool.QueryRow(f.ctx, "SELECT count(*) FROM payment_benefits WHERE payment_id = 'pay_2'").Scan(&n))
	require.Zero(t, n)
}

// ApplyBenefit (the step-by-step opening) evaluates and records in one
// transaction and answers what is recorded on a retry.
func TestApplyBenefitRecordsOnceAndAnswersTheRecord(t *testing.T) {
	p, q, ctx, _ := pointsRigPool(t)
	_, err := q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{ID: "pm_b", CustomerID: "cus_p", Kind: "card",
		CardBrand: pgtype.Text{String: "Shinhan", Valid: true}, CardBin: "45120012"})
	require.NoError(t, err)
	at := time.Now().UTC()
	insertRuleSet(t, q, at.Add(-time.Minute), -1, db.InsertBenefitRuleParams{Name: "bin", BinPrefix: pgtype.Text{String: "451200", Valid: true}, PointsBps: 400})
	in := activities.ApplyBenefitInput{Resolve: activities.ResolveBenefitsInput{CustomerID: "cus_p", MethodID: "pm_b", Currency: "KRW", At: at},
		PaymentID: "pay_p1", BaseBPS: 100, CardAmount: 25_000, AtConfirmation: true, Validity: time.Hour}

	b, err := p.ApplyBenefit(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "bin", b.Rule)
	require.EqualValues(t, 1_000, b.Points)
	require.EqualValues(t, -1, b.MonthlyPointsCap)
	in.CardAmount = 99_000 // a retry evaluating otherwise still gets the record
	again, err := p.ApplyBenefit(ctx, in)
	require.NoError(t, err)
	require.Equal(t, b, again)
	var earnAt string
	require.NoError(t, p.Pool.QueryRow(ctx, "SELECT earn_at FROM payment_benefits WHERE payment_id = 'pay_p1'").Scan(&earnAt))
	require.Equal(t, "confirmation", earnAt)
}

// Points earned at capture go into the posting's transaction: booked and
// earned together, once however often retried; an earning that fails rolls
// back to its savepoint and leaves the payment booked and succeeded, with
// points_earn_failed on its timeline.
func TestPostCaptureEarningEarnsInThePosting(t *testing.T) {
	_, q, ctx, pool := pointsRigPool(t)
	store, l := &activities.Store{Pool: pool}, &activities.Ledger{Pool: pool}
	_, err := q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{ID: "pm_pc", CustomerID: "cus_p", Kind: "card"})
	require.NoError(t, err)
	for _, id := range []string{"pay_pc1", "pay_pc2"} {
		require.NoError(t, store.CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: id, OrderID: "o-" + id, CustomerID: "cus_p", MethodID: "pm_pc",
			Currency: "KRW", Amount: 20_000, FeeBPS: 300, Items: []activities.ItemInput{{ProducerID: "farm", Amount: 20_000}}, WorkflowID: "w-" + id}))
	}
	earn := activities.EarnPointsInput{PaymentID: "pay_pc1", CustomerID: "cus_p", Currency: "KRW", Base: 20_000, RateBPS: 100,
		At: time.Now(), Validity: time.Hour}
	in := activities.PostCaptureInput{PaymentID: "pay_pc1", PG: "alpha", PaymentKey: "pk_1", Authorized: true, Points: &earn}
	for range 2 {
		res, err := l.PostCaptureEarning(ctx, in)
		require.NoError(t, err)
		require.EqualValues(t, 200, res.PointsEarned)
	}
	owed, inBuckets := pointsBalance(t, ctx, q)
	require.EqualValues(t, 200, owed)
	require.EqualValues(t, 200, inBuckets)
	pay, err := q.GetPayment(ctx, "pay_pc1")
	require.NoError(t, err)
	require.Equal(t, "succeeded", pay.Status)

	bad := earn
	bad.PaymentID, bad.Currency = "pay_pc2", "kr1" // refused by the postings' CHECK: the savepoint rolls back
	res, err := l.PostCaptureEarning(ctx, activities.PostCaptureInput{PaymentID: "pay_pc2", PG: "alpha", PaymentKey: "pk_2", Points: &bad})
	require.NoError(t, err)
	require.Zero(t, res.PointsEarned)
	pay, err = q.GetPayment(ctx, "pay_pc2")
	require.NoError(t, err)
	require.Equal(t, "succeeded", pay.Status)
	events, err := q.ListPaymentEvents(ctx, "pay_pc2")
	require.NoError(t, err)
	var steps []string
	for _, e := range events {
		steps = append(steps, e.Step)
	}
	require.Contains(t, steps, "points_earn_failed")
	require.Contains(t, steps, "ledger_posted")
	owed, _ = pointsBalance(t, ctx, q)
	require.EqualValues(t, 200, owed, "nothing earned for the failed one")
}
