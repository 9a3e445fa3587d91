package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
)

var t0 = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)

func newFulfilmentEnv(t *testing.T) testEnv {
	env := fulfilmentEnvWithoutPoints(t)
	env.OnActivity(points.EarnItemPoints, mock.Anything, mock.Anything).Return(activities.EarnPointsResult{}, nil).Maybe()
	return env
}

// fulfilmentEnvWithoutPoints leaves the points of a confirmation to the test.
func fulfilmentEnvWithoutPoints(t *testing.T) testEnv {
	env := newEnv(t)
	env.RegisterActivity(&activities.Settlement{})
	env.SetStartTime(t0)
	return env
}

var fulfilmentIn = FulfilmentInput{PaymentID: "pay1", ProducerID: "p1", AutoConfirmAfter: 7 * 24 * time.Hour, Deadline: 20 * 24 * time.Hour}

func delivered(at time.Time) activities.ItemState {
	return activities.ItemState{PaymentID: "pay1", ProducerID: "p1", Amount: 10_000, DeliveredAt: at}
}

// Delivered and never confirmed: seven (time-skipped) days later the workflow
// confirms the purchase itself, at delivery + 7 days, and ends.
func TestFulfilmentAutoConfirmsAfterTheWindow(t *testing.T) {
	env := newFulfilmentEnv(t)
	deliveredAt := t0.Add(time.Hour)
	env.OnActivity(settlement.MarkDelivered, mock.Anything, activities.MarkDeliveredInput{
		ItemRef: activities.ItemRef{PaymentID: "pay1", ProducerID: "p1"}, At: deliveredAt,
	}).Return(delivered(deliveredAt), nil).Once()
	autoAt := deliveredAt.Add(7 * 24 * time.Hour)
	env.OnActivity(settlement.Confirm, mock.Anything, activities.ConfirmInput{
		ItemRef: activities.ItemRef{PaymentID: "pay1", ProducerID: "p1"}, At: autoAt, By: activities.ConfirmedByAuto, Deadline: 20 * 24 * time.Hour,
	}).Return(activities.ItemState{PaymentID: "pay1", ProducerID: "p1", DeliveredAt: deliveredAt, ConfirmedAt: autoAt, ConfirmedBy: "auto"}, nil).Once()
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflowNoRejection(DeliveredUpdate, "d1", t, FulfilmentEvent{At: deliveredAt})
	}, time.Minute)

	env.ExecuteWorkflow(Fulfilment, fulfilmentIn)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res FulfilmentResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, autoAt, res.Item.ConfirmedAt)
	require.Equal(t, "auto", res.Item.ConfirmedBy)
	require.True(t, env.Now().Sub(autoAt) >= 0 && env.Now().Sub(autoAt) < time.Minute, "confirmed when the window ended, at %s", env.Now())
}

// The buyer confirms on day two: that is booked (once, though confirmed
// twice) and no auto-confirmation follows.
func TestFulfilmentBuyerConfirmationStopsTheTimer(t *testing.T) {
	env := newFulfilmentEnv(t)
	deliveredAt := t0.Add(time.Hour)
	confirmAt := t0.Add(48 * time.Hour)
	env.OnActivity(settlement.MarkDelivered, mock.Anything, mock.Anything).Return(delivered(deliveredAt), nil).Once()
	env.OnActivity(settlement.Confirm, mock.Anything, mock.MatchedBy(func(in activities.ConfirmInput) bool {
		return in.By == activities.ConfirmedByBuyer && in.At.Equal(confirmAt)
	})).Return(activities.ItemState{PaymentID: "pay1", ProducerID: "p1", DeliveredAt: deliveredAt, ConfirmedAt: confirmAt, ConfirmedBy: "buyer"}, nil).Once()
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflowNoRejection(DeliveredUpdate, "d1", t, FulfilmentEvent{At: deliveredAt})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflowNoRejection(ConfirmUpdate, "c1", t, FulfilmentEvent{At: confirmAt})
		env.UpdateWorkflowNoRejection(ConfirmUpdate, "c2", t, FulfilmentEvent{At: confirmAt.Add(time.Minute)})
	}, 48*time.Hour)

	env.ExecuteWorkflow(Fulfilment, fulfilmentIn)

	require.NoError(t, env.GetWorkflowError())
	var res FulfilmentResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "buyer", res.Item.ConfirmedBy)
	require.Equal(t, confirmAt, res.Item.ConfirmedAt)
	require.Less(t, env.Now().Sub(t0), 7*24*time.Hour, "no wait for the auto-confirmation")
}

// An item refunded in full before it auto-confirms: the auto-confirmation is
// rejected (nothing to confirm) and the workflow ends instead of retrying.
func TestFulfilmentEndsWhenTheItemWasRefunded(t *testing.T) {
	env := newFulfilmentEnv(t)
	deliveredAt := t0.Add(time.Hour)
	env.OnActivity(settlement.MarkDelivered, mock.Anything, mock.Anything).Return(delivered(deliveredAt), nil).Once()
	env.OnActivity(settlement.Confirm, mock.Anything, mock.Anything).Return(activities.ItemState{},
		temporal.NewNonRetryableApplicationError("refunded", activities.ErrFulfilment, nil,
			activities.Failure{Code: activities.CodeItemRefunded, Message: "refunded"})).Once()
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflowNoRejection(DeliveredUpdate, "d1", t, FulfilmentEvent{At: deliveredAt})
	}, time.Minute)

	env.ExecuteWorkflow(Fulfilment, fulfilmentIn)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
}

// The daily deadline check reports what it found as search attributes.
func TestDeadlineCheckSetsSearchAttributes(t *testing.T) {
	env := newFulfilmentEnv(t)
	env.OnActivity(settlement.CheckDeadlines, mock.Anything, mock.MatchedBy(func(in activities.CheckDeadlinesInput) bool {
		return in.Now.Equal(t0) && in.CheckID != ""
	})).Return(activities.DeadlineReport{AtRisk: 2, Overdue: 1, OverdueAmount: 9_000}, nil).Once()
	env.OnUpsertTypedSearchAttributes(mock.MatchedBy(func(sa temporal.SearchAttributes) bool {
		status, _ := sa.GetKeyword(SettlementDeadlineKey)
		return status == "overdue"
	})).Return(nil).Once()

	env.ExecuteWorkflow(SettlementDeadlineCheck, DeadlineCheckInput{})

	require.NoError(t, env.GetWorkflowError())
	var res DeadlineCheckResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, DeadlineCheckResult{AtRisk: 2, Overdue: 1, OverdueAmount: 9_000}, res)
}
