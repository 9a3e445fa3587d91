package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/benefit"
)

func benefitCheckout() CheckoutInput {
	in := pointsCheckout() // card part 10,000, base rate 100 bps
	in.Benefits = true
	return in
}

// A checkout that opens step by step (it has a wallet part) evaluates and
// records its benefit in one activity and transaction (ApplyBenefit, issue
// 19) from the rule set in force at its start, before the card is charged,
// and earns at the evaluated rate within the set's monthly cap, in the
// posting's transaction.
func TestCheckoutEvaluatesBenefitRules(t *testing.T) {
	env := newEnv(t)
	mockAuthorizedCheckout(env)
	want := benefit.Result{RuleSetVersion: 3, Rule: "shinhan-partner", Tier: "gold", RateBPS: 1_000, Points: 1_000, MonthlyPointsCap: 700}
	env.OnActivity(points.ApplyBenefit, mock.Anything, mock.MatchedBy(func(in activities.ApplyBenefitInput) bool {
		r := in.Resolve
		return r.CustomerID == "cus_1" && r.MethodID == "pm_1" && r.Currency == "KRW" && !r.At.IsZero() &&
			in.PaymentID == "pay_1" && in.BaseBPS == 100 && in.CardAmount == 10_000 && in.Validity == 5*365*24*time.Hour && !in.AtConfirmation
	})).Return(want, nil).Once()
	env.OnActivity(book.PostCaptureEarning, mock.Anything, mock.MatchedBy(func(in activities.PostCaptureInput) bool {
		e := in.Points
		return e != nil && e.Base == 10_000 && e.RateBPS == 1_000 && e.Capped && e.MonthlyCap == 700
	})).Return(activities.PostCaptureResult{PointsEarned: 700}, nil).Once()

	res := runCheckout(t, env, benefitCheckout())

	require.Equal(t, StatusSucceeded, res.Status)
	require.EqualValues(t, 700, res.PointsEarned)
	for _, old := range []string{"ResolveBenefits", "RecordBenefit", "EarnPoints", "PostCapture"} {
		env.AssertNotCalled(t, old, mock.Anything, mock.Anything)
	}
}

// A card-only checkout evaluates and records its benefit inside the opening's
// one transaction (i19-benefit-in-opening): no benefit activity of its own;
// the opening's answer carries the benefit the workflow earns by.
func TestCheckoutCardOnlyRecordsBenefitInTheOpening(t *testing.T) {
	env := newOpenEnv(t)
	in := benefitCheckout()
	in.WalletAmount = 0
	want := benefit.Result{RuleSetVersion: 3, Rule: "shinhan-partner", RateBPS: 500, Points: 750, MonthlyPointsCap: -1}
	onOpen(env).Return(func(_ context.Context, o activities.OpenCardPaymentInput) (activities.OpenCardPaymentResult, error) {
		require.NotNil(t, o.Benefit, "the opening records the benefit")
		require.Equal(t, "pay_1", o.Benefit.PaymentID)
		require.Equal(t, int64(15_000), o.Benefit.CardAmount)
		require.Equal(t, "pm_1", o.Benefit.Resolve.MethodID)
		return activities.OpenCardPaymentResult{AuthorizeResult: activities.AuthorizeResult{PG: "alpha", PaymentKey: "pk_1", Captured: true}, Benefit: &want}, nil
	}).Once()
	env.OnActivity(book.PostCaptureEarning, mock.Anything, mock.MatchedBy(func(in activities.PostCaptureInput) bool {
		return in.Authorized && in.Points != nil && in.Points.Base == 15_000 && in.Points.RateBPS == 500 && !in.Points.Capped
	})).Return(activities.PostCaptureResult{PointsEarned: 750}, nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	require.EqualValues(t, 750, res.PointsEarned)
	for _, other := range []string{"ApplyBenefit", "ResolveBenefits", "RecordBenefit", "EarnPoints", "PostCapture", "MarkAuthorized"} {
		env.AssertNotCalled(t, other, mock.Anything, mock.Anything)
	}
}

// An opening that failed over (the first PG was down) committed the benefit
// but could not answer it: the checkout reads it back in one transaction
// (ApplyBenefit answers what is recorded) before authorizing at the next PG.
func TestCheckoutBenefitAfterAFailedOverOpening(t *testing.T) {
	env := newOpenEnv(t)
	in := benefitCheckout()
	in.WalletAmount = 0
	onOpen(env).Return(activities.OpenCardPaymentResult{}, unavailable()).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, mock.Anything).Return(nil).Maybe()
	recorded := benefit.Result{RuleSetVersion: 3, Rule: "shinhan-partner", RateBPS: 500, Points: 750, MonthlyPointsCap: -1}
	env.OnActivity(points.ApplyBenefit, mock.Anything, mock.Anything).Return(recorded, nil).Once()
	env.OnActivity(payments.Authorize, mock.Anything, mock.MatchedBy(func(in activities.AuthorizeInput) bool { return in.PG == "beta" })).
		Return(activities.AuthorizeResult{PG: "beta", PaymentKey: "pk_2", Captured: true}, nil).Once()
	env.OnActivity(book.PostCaptureEarning, mock.Anything, mock.MatchedBy(func(in activities.PostCaptureInput) bool {
		return in.PG == "beta" && in.Points != nil && in.Points.RateBPS == 500
	})).Return(activities.PostCaptureResult{PointsEarned: 750}, nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	require.EqualValues(t, 750, res.PointsEarned)
}

// With no rule set in force the base rate applies, uncapped.
func TestCheckoutBenefitWithoutRuleSet(t *testing.T) {
	env := newEnv(t)
	mockAuthorizedCheckout(env)
	env.OnActivity(points.ApplyBenefit, mock.Anything, mock.Anything).Return(benefit.Result{RateBPS: 100, Points: 100, MonthlyPointsCap: -1}, nil).Once()
	env.OnActivity(book.PostCaptureEarning, mock.Anything, mock.MatchedBy(func(in activities.PostCaptureInput) bool {
		return in.Points != nil && in.Points.RateBPS == 100 && !in.Points.Capped
	})).Return(activities.PostCaptureResult{PointsEarned: 100}, nil).Once()

	require.EqualValues(t, 100, runCheckout(t, env, benefitCheckout()).PointsEarned)
}

// A wallet-only checkout has no card part: no evaluation, nothing recorded.
func TestCheckoutBenefitNeedsACardPart(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(store.CreatePayment, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.HoldWallet, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(book.PostCapture, mock.Anything, mock.Anything).Return(nil).Once()
	in := benefitCheckout()
	in.WalletAmount, in.MethodID = in.Amount, ""

	require.Equal(t, StatusSucceeded, runCheckout(t, env, in).Status)
	env.AssertNotCalled(t, "ResolveBenefits", mock.Anything, mock.Anything)
}

// A confirmed item earns its points at the confirmation's time (once, though
// confirmed twice); a failure to earn leaves the confirmation standing and is
// on the payment's timeline.
func TestFulfilmentEarnsItemPointsAtConfirmation(t *testing.T) {
	for _, fails := range []bool{false, true} {
		env := fulfilmentEnvWithoutPoints(t)
		ref := activities.ItemRef{PaymentID: "pay1", ProducerID: "p1"}
		at := t0.Add(2 * time.Hour)
		env.OnActivity(settlement.Confirm, mock.Anything, mock.Anything).
			Return(activities.ItemState{PaymentID: "pay1", ProducerID: "p1", ConfirmedAt: at, ConfirmedBy: "buyer"}, nil).Once()
		earn := env.OnActivity(points.EarnItemPoints, mock.Anything, activities.EarnItemPointsInput{ItemRef: ref, At: at})
		if fails {
			earn.Return(activities.EarnPointsResult{}, temporal.NewNonRetryableApplicationError("db down", "Test", nil)).Once()
			env.OnActivity(store.RecordEvent, mock.Anything, mock.MatchedBy(func(in activities.RecordEventInput) bool {
				return in.PaymentID == "pay1" && in.Step == "points_earn_failed" && in.Detail["producer_id"] == "p1"
			})).Return(nil).Once()
		} else {
			earn.Return(activities.EarnPointsResult{Points: 300}, nil).Once()
		}
		for i, d := range []time.Duration{time.Minute, 2 * time.Minute} {
			env.RegisterDelayedCallback(func() {
				env.UpdateWorkflowNoRejection(ConfirmUpdate, fmt.Sprint("c", i), t, FulfilmentEvent{At: at})
			}, d)
		}

		env.ExecuteWorkflow(Fulfilment, fulfilmentIn)

		require.NoError(t, env.GetWorkflowError())
		var res FulfilmentResult
		require.NoError(t, env.GetWorkflowResult(&res))
		require.Equal(t, at, res.Item.ConfirmedAt, "confirmed whatever the points did")
	}
}

// Earning at confirmation: the checkout records the benefit to earn later and
// earns nothing at capture.
func TestCheckoutEarningAtConfirmationEarnsNothingAtCapture(t *testing.T) {
	env := newEnv(t)
	mockPaidCheckout(env)
	env.OnActivity(points.ApplyBenefit, mock.Anything, mock.MatchedBy(func(in activities.ApplyBenefitInput) bool {
		return in.AtConfirmation && in.Validity == 5*365*24*time.Hour
	})).Return(benefit.Result{RuleSetVersion: 3, Rule: "shinhan-partner", RateBPS: 500, Points: 500, MonthlyPointsCap: 700}, nil).Once()
	env.OnActivity(points.EarnPoints, mock.Anything, mock.Anything).Return(activities.EarnPointsResult{Points: 99}, nil).Maybe()
	in := benefitCheckout()
	in.PointsAtConfirmation = true

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	require.Zero(t, res.PointsEarned)
	env.AssertNotCalled(t, "EarnPoints", mock.Anything, mock.Anything)
}

// An instant discount recorded by the opening: the PG is charged the card
// part less it (the opening's own request; a failover's too), the posting
// books it, and points are a rate of what the card paid.
func TestCheckoutWithInstantDiscountChargesLessAndBooksIt(t *testing.T) {
	env := newOpenEnv(t)
	in := benefitCheckout()
	in.WalletAmount = 0
	in.PGs = []string{"alpha", "beta"}
	onOpen(env).Return(activities.OpenCardPaymentResult{}, unavailable()).Once()
	env.OnActivity(store.RecordEvent, mock.Anything, mock.Anything).Return(nil).Maybe()
	env.OnActivity(points.ApplyBenefit, mock.Anything, mock.Anything).
		Return(benefit.Result{RuleSetVersion: 3, Rule: "ten-off", RateBPS: 100, Points: 135, Discount: 1_500, MonthlyPointsCap: -1, MonthlyDiscountCap: -1}, nil).Once()
	env.OnActivity(payments.Authorize, mock.Anything, mock.MatchedBy(func(a activities.AuthorizeInput) bool { return a.PG == "beta" && a.Amount == 13_500 })).
		Return(activities.AuthorizeResult{PG: "beta", PaymentKey: "pk_2", Captured: true}, nil).Once()
	env.OnActivity(book.PostCaptureEarning, mock.Anything, mock.MatchedBy(func(p activities.PostCaptureInput) bool {
		return p.Discount == 1_500 && p.Points != nil && p.Points.Base == 13_500
	})).Return(activities.PostCaptureResult{PointsEarned: 135}, nil).Once()

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	require.EqualValues(t, 135, res.PointsEarned)
}
