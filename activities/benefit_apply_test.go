package activities_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
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

// A discount rule: the opening records the discount and charges the PG the
// card part less it, in the same activity.
func TestOpenCardPaymentChargesTheCardLessItsDiscount(t *testing.T) {
	f := newOpenFixture(t)
	q := f.payments.Queries
	_, err := f.store.Pool.Exec(f.ctx, "UPDATE payment_methods SET card_brand = 'Shinhan' WHERE id = 'pm_1'")
	require.NoError(t, err)
	at := time.Now().UTC()
	insertRuleSet(t, q, at.Add(-time.Hour), -1, db.InsertBenefitRuleParams{Name: "ten-off", Issuer: pgtype.Text{String: "shinhan", Valid: true}, DiscountBps: 1_000})
	f.in.Benefit = &activities.ApplyBenefitInput{
		Resolve:   activities.ResolveBenefitsInput{CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW", At: at},
		PaymentID: "pay_2", BaseBPS: 100, CardAmount: 60_000, Validity: time.Hour,
	}

	res, err := f.open()
	require.NoError(t, err)
	require.EqualValues(t, 6_000, res.Benefit.Discount)
	require.EqualValues(t, 0, res.Benefit.Points, "a discount-only rule earns nothing")
	recs, err := f.sim.Records(f.ctx, providersim.RecordFilter{OrderID: "o-2", Kind: providersim.KindAuthorize})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.EqualValues(t, 54_000, recs[0].Amount)
}

// Concurrent checkouts of one customer never pass the monthly discount cap
// together: the discounts recorded add up to the cap exactly.
func TestApplyBenefitDiscountCapUnderConcurrency(t *testing.T) {
	p, q, ctx, pool := pointsRigPool(t)
	_, err := q.CreatePaymentMethod(ctx, db.CreatePaymentMethodParams{ID: "pm_d", CustomerID: "cus_p", Kind: "card",
		CardBrand: pgtype.Text{String: "kb", Valid: true}})
	require.NoError(t, err)
	at := time.Now().UTC()
	set, err := q.InsertBenefitRuleSet(ctx, db.InsertBenefitRuleSetParams{Currency: "KRW", EffectiveFrom: pgtype.Timestamptz{Time: at.Add(-time.Minute), Valid: true},
		MonthlyDiscountCap: pgtype.Int8{Int64: 10_000, Valid: true}, CreatedBy: "test"})
	require.NoError(t, err)
	require.NoError(t, q.InsertBenefitRule(ctx, db.InsertBenefitRuleParams{RuleSetVersion: set.Version, Name: "fixed", Issuer: pgtype.Text{String: "kb", Valid: true}, DiscountAmount: 3_000}))
	store := &activities.Store{Pool: pool}
	const n = 6
	for i := range n {
		id := fmt.Sprintf("pay_d%d", i)
		require.NoError(t, store.CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: id, OrderID: "o-" + id, CustomerID: "cus_p", MethodID: "pm_d",
			Currency: "KRW", Amount: 20_000, Items: []activities.ItemInput{{ProducerID: "farm", Amount: 20_000}}, WorkflowID: "w-" + id}))
	}
	got := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := p.ApplyBenefit(ctx, activities.ApplyBenefitInput{Resolve: activities.ResolveBenefitsInput{CustomerID: "cus_p", MethodID: "pm_d", Currency: "KRW", At: at},
				PaymentID: fmt.Sprintf("pay_d%d", i), CardAmount: 20_000, Validity: time.Hour})
			require.NoError(t, err)
			got[i] = b.Discount
		}()
	}
	wg.Wait()
	var sum int64
	for _, d := range got {
		require.Contains(t, []int64{0, 1_000, 3_000}, d)
		sum += d
	}
	require.EqualValues(t, 10_000, sum, "the cap holds across concurrent checkouts")
	// A failed payment gives its share back to the month.
	_, err = pool.Exec(ctx, "UPDATE payments SET status = 'failed' WHERE id = (SELECT payment_id FROM payment_benefits WHERE discount_amount = 3000 ORDER BY payment_id LIMIT 1)")
	require.NoError(t, err)
	require.NoError(t, store.CreatePayment(ctx, activities.CreatePaymentInput{PaymentID: "pay_dx", OrderID: "o-pay_dx", CustomerID: "cus_p", MethodID: "pm_d",
		Currency: "KRW", Amount: 20_000, Items: []activities.ItemInput{{ProducerID: "farm", Amount: 20_000}}, WorkflowID: "w-pay_dx"}))
	b, err := p.ApplyBenefit(ctx, activities.ApplyBenefitInput{Resolve: activities.ResolveBenefitsInput{CustomerID: "cus_p", MethodID: "pm_d", Currency: "KRW", At: at},
		PaymentID: "pay_dx", CardAmount: 20_000, Validity: time.Hour})
	require.NoError(t, err)
	require.EqualValues(t, 3_000, b.Discount)
}
