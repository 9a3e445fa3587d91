package workflows

import (
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

var shinhanSet = benefit.RuleSet{
	Version:          3,
	Rules:            []benefit.Rule{{Name: "shinhan-partner", Issuer: "shinhan", PointsBPS: 500, MinAmount: 10_000}},
	Multipliers:      []benefit.Multiplier{{Tier: "gold", BPS: 20_000}},
	MonthlyPointsCap: 700,
}

// The checkout resolves the rule set in force at its start, evaluates the
// benefit itself, records it (with the version) before the card is charged,
// and earns at the evaluated rate within the set's monthly cap.
func TestCheckoutEvaluatesBenefitRules(t *testing.T) {
	env := newEnv(t)
	mockPaidCheckout(env)
	env.OnActivity(points.ResolveBenefits, mock.Anything, mock.MatchedBy(func(in activities.ResolveBenefitsInput) bool {
		return in.CustomerID == "cus_1" && in.MethodID == "pm_1" && in.Currency == "KRW" && !in.At.IsZero()
	})).Return(activities.ResolveBenefitsResult{RuleSet: shinhanSet, Card: benefit.Card{Issuer: "Shinhan", BIN: "451200"}, Tier: "gold"}, nil).Once()
	want := benefit.Result{RuleSetVersion: 3, Rule: "shinhan-partner", Tier: "gold", RateBPS: 1_000, Points: 1_000, MonthlyPointsCap: 700}
	env.OnActivity(store.RecordBenefit, mock.Anything, activities.RecordBenefitInput{PaymentID: "pay_1", Benefit: want, Validity: 5 * 365 * 24 * time.Hour}).Return(nil).Once()
	env.OnActivity(points.EarnPoints, mock.Anything, mock.MatchedBy(func(in activities.EarnPointsInput) bool {
		return in.Base == 10_000 && in.RateBPS == 1_000 && in.Capped && in.MonthlyCap == 700
	})).Return(activities.EarnPointsResult{Points: 700}, nil).Once()

	res := runCheckout(t, env, benefitCheckout())

	require.Equal(t, StatusSucceeded, res.Status)
	require.EqualValues(t, 700, res.PointsEarned)
}

// With no rule set in force the base rate applies, uncapped.
func TestCheckoutBenefitWithoutRuleSet(t *testing.T) {
	env := newEnv(t)
	mockPaidCheckout(env)
	env.OnActivity(points.ResolveBenefits, mock.Anything, mock.Anything).Return(activities.ResolveBenefitsResult{Card: benefit.Card{Issuer: "kb"}}, nil).Once()
	env.OnActivity(store.RecordBenefit, mock.Anything, activities.RecordBenefitInput{PaymentID: "pay_1",
		Benefit: benefit.Result{RateBPS: 100, Points: 100, MonthlyPointsCap: -1}, Validity: 5 * 365 * 24 * time.Hour}).Return(nil).Once()
	env.OnActivity(points.EarnPoints, mock.Anything, mock.MatchedBy(func(in activities.EarnPointsInput) bool {
		return in.RateBPS == 100 && !in.Capped
	})).Return(activities.EarnPointsResult{Points: 100}, nil).Once()

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
	env.OnActivity(points.ResolveBenefits, mock.Anything, mock.Anything).Return(activities.ResolveBenefitsResult{RuleSet: shinhanSet, Card: benefit.Card{Issuer: "shinhan"}}, nil).Once()
	env.OnActivity(store.RecordBenefit, mock.Anything, mock.MatchedBy(func(in activities.RecordBenefitInput) bool {
		return in.AtConfirmation && in.Validity == 5*365*24*time.Hour && in.Benefit.RateBPS == 500
	})).Return(nil).Once()
	env.OnActivity(points.EarnPoints, mock.Anything, mock.Anything).Return(activities.EarnPointsResult{Points: 99}, nil).Maybe()
	in := benefitCheckout()
	in.PointsAtConfirmation = true

	res := runCheckout(t, env, in)

	require.Equal(t, StatusSucceeded, res.Status)
	require.Zero(t, res.PointsEarned)
	env.AssertNotCalled(t, "EarnPoints", mock.Anything, mock.Anything)
}
