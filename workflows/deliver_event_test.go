package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
)

var testBackoff = DeliveryBackoff{Initial: time.Second, Max: 4 * time.Second, MaxAttempts: 5}

func TestDeliveryBackoffDoublesUpToTheCap(t *testing.T) {
	var got []time.Duration
	for a := 1; a <= 5; a++ {
		got = append(got, testBackoff.Wait(a))
	}
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}, got)
}

// An endpoint that fails twice is retried after 1 s and 2 s (durable timers),
// then delivered; another endpoint, always failing, is tried MaxAttempts times
// and given up on; neither delays the other.
func TestDeliverEventRetriesWithBackoffUntilDelivered(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(events.PrepareDeliveries, mock.Anything, activities.EventRef{EventID: "evt_1"}).Return([]string{"we_ok", "we_down"}, nil).Once()

	var okAt, downAt []time.Time
	env.OnActivity(events.Deliver, mock.Anything, mock.MatchedBy(func(in activities.DeliverInput) bool { return in.EndpointID == "we_ok" })).
		Return(func(_ context.Context, in activities.DeliverInput) (activities.DeliverResult, error) {
			okAt = append(okAt, env.Now())
			require.Equal(t, len(okAt), in.Attempt)
			if in.Attempt < 3 {
				return activities.DeliverResult{StatusCode: 503}, nil
			}
			return activities.DeliverResult{Delivered: true, StatusCode: 200}, nil
		}).Times(3)
	env.OnActivity(events.Deliver, mock.Anything, mock.MatchedBy(func(in activities.DeliverInput) bool { return in.EndpointID == "we_down" })).
		Return(func(_ context.Context, in activities.DeliverInput) (activities.DeliverResult, error) {
			downAt = append(downAt, env.Now())
			return activities.DeliverResult{}, nil
		}).Times(5)
	env.OnActivity(events.FinishDelivery, mock.Anything, activities.FinishDeliveryInput{EventID: "evt_1", EndpointID: "we_ok", Status: "delivered", Attempts: 3}).Return(nil).Once()
	env.OnActivity(events.FinishDelivery, mock.Anything, activities.FinishDeliveryInput{EventID: "evt_1", EndpointID: "we_down", Status: "failed", Attempts: 5}).Return(nil).Once()

	env.ExecuteWorkflow(DeliverEvent, DeliverEventInput{EventID: "evt_1", Backoff: testBackoff})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res DeliverEventResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, DeliverEventResult{Delivered: 1, Failed: 1}, res)
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second}, gaps(okAt))
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}, gaps(downAt))
}

func TestDeliverEventStopsForADeletedEndpoint(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(events.PrepareDeliveries, mock.Anything, mock.Anything).Return([]string{"we_gone"}, nil).Once()
	env.OnActivity(events.Deliver, mock.Anything, mock.Anything).Return(activities.DeliverResult{Gone: true}, nil).Once()
	env.OnActivity(events.FinishDelivery, mock.Anything, activities.FinishDeliveryInput{EventID: "evt_2", EndpointID: "we_gone", Status: "canceled", Attempts: 1}).Return(nil).Once()

	env.ExecuteWorkflow(DeliverEvent, DeliverEventInput{EventID: "evt_2", Backoff: testBackoff})

	require.NoError(t, env.GetWorkflowError())
	var res DeliverEventResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, DeliverEventResult{Canceled: 1}, res)
}

func gaps(ts []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]).Round(100*time.Millisecond))
	}
	return out
}

// A re-send after 5 attempts that gave up tries only the named endpoint (the
// other pending one is left to its own workflow), numbers its attempts 6, 7...
// with the backoff starting over, and records the total.
func TestDeliverEventResendTriesOneEndpointAfterItsPriorAttempts(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(events.PrepareDeliveries, mock.Anything, activities.EventRef{EventID: "evt_3"}).Return([]string{"we_other", "we_back"}, nil).Once()
	var at []time.Time
	var attempts []int
	env.OnActivity(events.Deliver, mock.Anything, mock.Anything).
		Return(func(_ context.Context, in activities.DeliverInput) (activities.DeliverResult, error) {
			require.Equal(t, "we_back", in.EndpointID)
			at, attempts = append(at, env.Now()), append(attempts, in.Attempt)
			if in.Attempt < 7 {
				return activities.DeliverResult{StatusCode: 502}, nil
			}
			return activities.DeliverResult{Delivered: true, StatusCode: 200}, nil
		}).Times(2)
	env.OnActivity(events.FinishDelivery, mock.Anything, activities.FinishDeliveryInput{EventID: "evt_3", EndpointID: "we_back", Status: "delivered", Attempts: 7}).Return(nil).Once()

	env.ExecuteWorkflow(DeliverEvent, DeliverEventInput{EventID: "evt_3", Backoff: testBackoff, EndpointID: "we_back", PriorAttempts: 5})

	require.NoError(t, env.GetWorkflowError())
	var res DeliverEventResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, DeliverEventResult{Delivered: 1}, res)
	require.Equal(t, []int{6, 7}, attempts)
	require.Equal(t, []time.Duration{time.Second}, gaps(at))
	env.AssertExpectations(t)
}
