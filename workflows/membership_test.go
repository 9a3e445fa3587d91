package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

var membershipStart = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC) // 10:00 in Seoul

func membershipEnv(t *testing.T) testEnv {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(membershipStart)
	env.RegisterActivity(&activities.Memberships{})
	env.RegisterWorkflowWithOptions(MembershipTick, workflow.RegisterOptions{Name: MembershipTickName})
	env.RegisterWorkflowWithOptions(MembershipCharge, workflow.RegisterOptions{Name: MembershipChargeName})
	env.RegisterWorkflowWithOptions(Checkout, workflow.RegisterOptions{Name: CheckoutName})
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

var memberTerms = MembershipTerms{PGs: []string{"alpha", "beta"}, FeeBPS: 0, Dunning: DefaultDunning}

func begun() activities.BeginMembershipChargeResult {
	return activities.BeginMembershipChargeResult{Charge: true, CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW", Amount: 9900}
}

// onCheckout answers the membership's checkouts in turn with the given statuses.
func onCheckout(env testEnv, statuses ...string) *[]CheckoutInput {
	var seen []CheckoutInput
	for _, st := range statuses {
		env.OnWorkflow(CheckoutName, mock.Anything, mock.Anything).Return(
			func(_ workflow.Context, in CheckoutInput) (CheckoutResult, error) {
				seen = append(seen, in)
				res := CheckoutResult{PaymentID: in.PaymentID, Status: st, PG: "alpha"}
				if st == StatusFailed {
					res.FailureCode = "card_declined"
				}
				return res, nil
			}).Once()
	}
	return &seen
}

// monthly plays the schedule: a tick on the same day of n months in a row.
func monthly(ctx workflow.Context, in MembershipTickInput, n int) ([]MembershipChargeResult, error) {
	first := workflow.Now(ctx)
	var out []MembershipChargeResult
	for i := 0; i < n; i++ {
		if d := first.AddDate(0, i, 0).Sub(workflow.Now(ctx)); d > 0 {
			if err := workflow.Sleep(ctx, d); err != nil {
				return out, err
			}
		}
		var r MembershipChargeResult
		if err := workflow.ExecuteChildWorkflow(ctx, MembershipTickName, in).Get(ctx, &r); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func runMonthly(t *testing.T, env testEnv, n int) []MembershipChargeResult {
	env.RegisterWorkflow(monthly)
	env.ExecuteWorkflow(monthly, MembershipTickInput{MembershipID: "mem_1", Terms: memberTerms}, n)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out []MembershipChargeResult
	require.NoError(t, env.GetWorkflowResult(&out))
	return out
}

func TestMembershipChargesThreeMonthsOncePerPeriod(t *testing.T) {
	env := membershipEnv(t)
	var periods []string
	env.OnActivity(memberships.BeginMembershipCharge, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.BeginMembershipChargeInput) (activities.BeginMembershipChargeResult, error) {
			periods = append(periods, in.Period)
			require.Equal(t, MembershipChargeID("mem_1", in.Period), in.WorkflowID)
			return begun(), nil
		}).Times(3)
	seen := onCheckout(env, StatusSucceeded, StatusSucceeded, StatusSucceeded)
	var paidUntil []time.Time
	env.OnActivity(memberships.RecordMembershipAttempt, mock.Anything, mock.MatchedBy(func(in activities.RecordMembershipAttemptInput) bool {
		paidUntil = append(paidUntil, in.PaidUntil)
		return in.Succeeded && in.Attempt == 1
	})).Return(nil).Times(3)

	out := runMonthly(t, env, 3)

	require.Equal(t, []string{"202612", "202701", "202702"}, periods)
	require.Len(t, *seen, 3)
	for i, co := range *seen {
		require.Equal(t, MembershipPaymentID("mem_1", periods[i], 1), co.PaymentID)
		require.Equal(t, int64(9900), co.Amount)
		require.Equal(t, []CheckoutItem{{ProducerID: MembershipProducerID, Amount: 9900}}, co.Items)
		require.Equal(t, []string{"alpha", "beta"}, co.PGs, "the checkout's PG routing and failover")
		require.Equal(t, MembershipChargeSucceeded, out[i].Status)
	}
	require.Equal(t, membershipStart.AddDate(0, 3, 0), paidUntil[2])
}

func TestMembershipDeclinedChargeIsDunnedThenRecovered(t *testing.T) {
	env := membershipEnv(t)
	env.OnActivity(memberships.BeginMembershipCharge, mock.Anything, mock.Anything).Return(begun(), nil).Once()
	env.OnActivity(memberships.StillChargeable, mock.Anything, mock.Anything).Return(activities.StillChargeableResult{Chargeable: true, Status: "past_due"}, nil).Twice()
	seen := onCheckout(env, StatusFailed, StatusFailed, StatusSucceeded)
	var recs []activities.RecordMembershipAttemptInput
	var at []time.Time
	env.OnActivity(memberships.RecordMembershipAttempt, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordMembershipAttemptInput) error {
			recs = append(recs, in)
			at = append(at, env.Now())
			return nil
		}).Times(3)

	env.ExecuteWorkflow(MembershipCharge, MembershipChargeInput{MembershipID: "mem_1", Period: "202612", PeriodStart: membershipStart, Terms: memberTerms})
	require.NoError(t, env.GetWorkflowError())
	var res MembershipChargeResult
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Equal(t, MembershipChargeSucceeded, res.Status)
	require.Equal(t, 3, res.Attempts)
	require.Equal(t, MembershipPaymentID("mem_1", "202612", 3), res.PaymentID)
	require.Len(t, *seen, 3, "each attempt is its own payment")
	require.NotEqual(t, (*seen)[0].OrderID, (*seen)[1].OrderID)
	require.False(t, recs[0].Succeeded)
	require.Equal(t, membershipStart.Add(24*time.Hour), recs[0].NextAttemptAt)
	require.Equal(t, membershipStart.Add(72*time.Hour), recs[1].NextAttemptAt)
	require.True(t, recs[2].Succeeded)
	require.False(t, recs[2].Final)
	require.True(t, at[1].Sub(at[0]) >= 24*time.Hour, "retried on day 1, not at once")
	require.True(t, at[2].Sub(at[0]) >= 72*time.Hour, "then on day 3")
}

func TestMembershipDunningGivesUpAndSuspends(t *testing.T) {
	env := membershipEnv(t)
	env.OnActivity(memberships.BeginMembershipCharge, mock.Anything, mock.Anything).Return(begun(), nil).Once()
	env.OnActivity(memberships.StillChargeable, mock.Anything, mock.Anything).Return(activities.StillChargeableResult{Chargeable: true, Status: "past_due"}, nil).Times(3)
	onCheckout(env, StatusFailed, StatusFailed, StatusFailed, StatusFailed)
	env.OnActivity(memberships.RecordMembershipAttempt, mock.Anything, mock.MatchedBy(func(in activities.RecordMembershipAttemptInput) bool {
		return !in.Succeeded && !in.Final
	})).Return(nil).Times(3)
	env.OnActivity(memberships.RecordMembershipAttempt, mock.Anything, mock.MatchedBy(func(in activities.RecordMembershipAttemptInput) bool {
		return !in.Succeeded && in.Final && in.Attempt == 4
	})).Return(nil).Once()

	env.ExecuteWorkflow(MembershipCharge, MembershipChargeInput{MembershipID: "mem_1", Period: "202612", PeriodStart: membershipStart, Terms: memberTerms})
	require.NoError(t, env.GetWorkflowError())
	var res MembershipChargeResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, MembershipChargeFailed, res.Status)
	require.Equal(t, 4, res.Attempts, "bounded: the first try and three dunning days")
	require.True(t, env.Now().Sub(membershipStart) >= 7*24*time.Hour)
}

// A cancel (or pause) stops the next charge: the next period is not charged,
// and a dunning retry after the cancel charges nothing.
func TestMembershipCancelStopsTheNextCharge(t *testing.T) {
	t.Run("next period", func(t *testing.T) {
		env := membershipEnv(t)
		env.OnActivity(memberships.BeginMembershipCharge, mock.Anything, mock.Anything).Return(begun(), nil).Once()
		env.OnActivity(memberships.BeginMembershipCharge, mock.Anything, mock.Anything).Return(
			activities.BeginMembershipChargeResult{Reason: "membership_canceled"}, nil).Once()
		seen := onCheckout(env, StatusSucceeded)
		env.OnActivity(memberships.RecordMembershipAttempt, mock.Anything, mock.Anything).Return(nil).Once()

		out := runMonthly(t, env, 2)

		require.Len(t, *seen, 1, "one charge: the month after the cancel is not charged")
		require.Equal(t, MembershipChargeSkipped, out[1].Status)
		require.Equal(t, "membership_canceled", out[1].Reason)
	})
	t.Run("during dunning", func(t *testing.T) {
		env := membershipEnv(t)
		env.OnActivity(memberships.BeginMembershipCharge, mock.Anything, mock.Anything).Return(begun(), nil).Once()
		env.OnActivity(memberships.StillChargeable, mock.Anything, mock.Anything).Return(activities.StillChargeableResult{Status: "canceled"}, nil).Once()
		seen := onCheckout(env, StatusFailed)
		env.OnActivity(memberships.RecordMembershipAttempt, mock.Anything, mock.Anything).Return(nil).Once()

		env.ExecuteWorkflow(MembershipCharge, MembershipChargeInput{MembershipID: "mem_1", Period: "202612", PeriodStart: membershipStart, Terms: memberTerms})
		require.NoError(t, env.GetWorkflowError())
		var res MembershipChargeResult
		require.NoError(t, env.GetWorkflowResult(&res))
		require.Len(t, *seen, 1)
		require.Equal(t, MembershipChargeFailed, res.Status)
		require.Equal(t, "membership_canceled", res.Reason)
	})
}

// A charge re-run after its first attempt's checkout already ran (a reset)
// judges the attempt by its payment: paid, so nothing is charged again.
func TestMembershipRerunFindsTheEarlierPaymentPaid(t *testing.T) {
	env := membershipEnv(t)
	env.OnActivity(memberships.BeginMembershipCharge, mock.Anything, mock.Anything).Return(begun(), nil).Once()
	env.OnWorkflow(CheckoutName, mock.Anything, mock.Anything).Return(CheckoutResult{}, &temporal.ChildWorkflowExecutionAlreadyStartedError{}).Once()
	env.OnActivity(memberships.PaymentOutcome, mock.Anything, activities.PaymentOutcomeInput{PaymentID: MembershipPaymentID("mem_1", "202612", 1)}).Return(
		activities.PaymentOutcome{Status: StatusSucceeded}, nil).Once()
	env.OnActivity(memberships.RecordMembershipAttempt, mock.Anything, mock.MatchedBy(func(in activities.RecordMembershipAttemptInput) bool {
		return in.Succeeded && in.Attempt == 1
	})).Return(nil).Once()

	env.ExecuteWorkflow(MembershipCharge, MembershipChargeInput{MembershipID: "mem_1", Period: "202612", PeriodStart: membershipStart, Terms: memberTerms})
	require.NoError(t, env.GetWorkflowError())
	var res MembershipChargeResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, MembershipChargeSucceeded, res.Status)
	require.Equal(t, 1, res.Attempts)
}
