package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

var loopSettings = EndpointDeliverySettings{
	Backoff:         DeliveryBackoff{Initial: time.Second, Max: 8 * time.Second, MaxAttempts: 3},
	BreakerFailures: 3,
	BreakerCooldown: 2 * time.Second,
	Batch:           10,
	AttemptTimeout:  time.Second,
	IdleRecheck:     time.Hour,
	MaxBatches:      30,
}

// fakeEndpoint plays PostgreSQL's pending deliveries of one endpoint and the
// endpoint itself: down (503) until upAt, refusing (400) the events in refuse.
type fakeEndpoint struct {
	env       testEnv
	pending   []string
	upAt      time.Time
	refuse    map[string]bool
	calls     []time.Time // every DeliverBatch
	attempts  int         // HTTP requests the endpoint received
	delivered []string
	limits    []int
}

func (f *fakeEndpoint) deliverBatch(_ context.Context, in activities.DeliverBatchInput) (activities.DeliverBatchResult, error) {
	now := f.env.Now()
	f.calls, f.limits = append(f.calls, now), append(f.limits, in.Limit)
	var r activities.DeliverBatchResult
	n := min(in.Limit, len(f.pending))
	r.Full = n == in.Limit
	for _, ev := range f.pending[:n] {
		f.attempts++
		switch {
		case now.Before(f.upAt):
			return activities.DeliverBatchResult{Delivered: r.Delivered, Failure: &activities.DeliveryFailure{EventID: ev, StatusCode: 503}}, nil
		case f.refuse[ev]:
			return activities.DeliverBatchResult{Delivered: r.Delivered, Failure: &activities.DeliveryFailure{EventID: ev, StatusCode: 400, Refused: true}}, nil
		}
		f.delivered, f.pending = append(f.delivered, ev), f.pending[1:]
		r.Delivered++
	}
	return r, nil
}

func (f *fakeEndpoint) drop(ev string) {
	for i, p := range f.pending {
		if p == ev {
			f.pending = append(f.pending[:i:i], f.pending[i+1:]...)
			return
		}
	}
}

func newLoopEnv(t *testing.T, f *fakeEndpoint) (testEnv, *[]bool) {
	env := newEnv(t)
	f.env = env
	env.OnActivity(events.DeliverBatch, mock.Anything, mock.Anything).Return(f.deliverBatch)
	var paused []bool
	env.OnActivity(events.SetEndpointPaused, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EndpointPausedInput) error {
		require.Equal(t, "we_1", in.EndpointID)
		paused = append(paused, in.Paused)
		return nil
	}).Maybe()
	env.OnActivity(events.GiveUpDelivery, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.LoopDeliveryRef) error {
		f.drop(in.EventID)
		return nil
	}).Maybe()
	return env, &paused
}

// An endpoint down for 30 s: three failures back off 1 s and 2 s, the third
// opens the breaker (recorded once), then one probe per cool-down (2 s, 4 s,
// 8 s, capped at 8 s) however many events wait: 7 requests in all, not
// events x attempts. The first probe after it is back closes the breaker and
// every event follows in outbox order, none lost; the idle loop then
// continues as new, its state reset.
func TestEndpointDeliveryBreakerPausesProbesAndResumesInOrder(t *testing.T) {
	f := &fakeEndpoint{pending: []string{"e1", "e2", "e3", "e4", "e5"}}
	env, paused := newLoopEnv(t, f)
	start := env.Now()
	f.upAt = start.Add(30 * time.Second)

	env.ExecuteWorkflow(EndpointDelivery, EndpointDeliveryInput{EndpointID: "we_1", Settings: loopSettings})

	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "an idle loop continues as new after MaxBatches: %v", env.GetWorkflowError())
	require.Equal(t, []string{"e1", "e2", "e3", "e4", "e5"}, f.delivered, "in outbox order, none lost")
	down := 0
	for _, c := range f.calls {
		if c.Before(f.upAt) {
			down++
		}
	}
	require.Equal(t, 7, down, "requests while down: 3 before the breaker opened, then one probe per cool-down")
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second},
		gaps(f.calls[:down+1]))
	require.Equal(t, []int{10, 10, 10, 1, 1, 1, 1, 1, 10}, f.limits[:down+2], "a probe is one request; a delivered probe brings full batches back")
	require.Equal(t, []bool{true, false}, *paused, "paused once when it opened, resumed once")
	require.Equal(t, EndpointDeliveryState{}, continuedState(t, can).State)
}

// An event the endpoint answers 400 to is tried MaxAttempts times with
// backoff and given up (failed queue, re-sendable); the events after it go
// on, in order; a refusal is no outage, so the breaker never opens.
func TestEndpointDeliveryGivesUpARefusedEventAndGoesOn(t *testing.T) {
	f := &fakeEndpoint{pending: []string{"e1", "e2", "e3"}, refuse: map[string]bool{"e2": true}}
	env, paused := newLoopEnv(t, f)
	s := loopSettings
	s.MaxBatches = 5

	env.ExecuteWorkflow(EndpointDelivery, EndpointDeliveryInput{EndpointID: "we_1", Settings: s})

	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
	require.Equal(t, []string{"e1", "e3"}, f.delivered)
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second}, gaps(f.calls[:3]), "three tries of e2, backing off")
	require.Empty(t, *paused, "a refusing endpoint is up: no pause")
	env.AssertExpectations(t)
}

// A loop continued as new keeps its breaker: the next run probes (one
// request per batch) and carries the counts on.
func TestEndpointDeliveryContinuesAsNewWithItsBreaker(t *testing.T) {
	f := &fakeEndpoint{pending: []string{"e1"}, upAt: time.Now().Add(1000 * time.Hour)}
	env, paused := newLoopEnv(t, f)
	s := loopSettings
	s.MaxBatches = 2
	env.ExecuteWorkflow(EndpointDelivery, EndpointDeliveryInput{EndpointID: "we_1", Settings: s,
		State: EndpointDeliveryState{Failures: 5, Open: true, Probes: 1}})

	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
	require.Equal(t, []int{1, 1}, f.limits, "still open: probes only")
	require.Equal(t, []time.Duration{4 * time.Second}, gaps(f.calls), "the cool-down goes on doubling from where the last run left it")
	next := continuedState(t, can)
	require.Equal(t, "we_1", next.EndpointID)
	require.Equal(t, EndpointDeliveryState{Failures: 7, Open: true, Probes: 3}, next.State)
	require.Empty(t, *paused, "already recorded paused by the run before")
}

// Idle, the loop waits for the relay's wake, not for its recheck timer; a
// batch that finds the endpoint deleted ends it.
func TestEndpointDeliveryWakesOnSignalAndEndsWhenTheEndpointIsGone(t *testing.T) {
	env := newEnv(t)
	var at []time.Time
	env.OnActivity(events.DeliverBatch, mock.Anything, mock.Anything).Return(func(context.Context, activities.DeliverBatchInput) (activities.DeliverBatchResult, error) {
		at = append(at, env.Now())
		return activities.DeliverBatchResult{Gone: len(at) == 2}, nil
	}).Times(2)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(EndpointDeliveryWake, nil)
		env.SignalWorkflow(EndpointDeliveryWake, nil) // two wakes, one read
	}, 10*time.Second)

	env.ExecuteWorkflow(EndpointDelivery, EndpointDeliveryInput{EndpointID: "we_1", Settings: loopSettings})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []time.Duration{10 * time.Second}, gaps(at))
	env.AssertExpectations(t)
}

func continuedState(t *testing.T, can *workflow.ContinueAsNewError) EndpointDeliveryInput {
	t.Helper()
	require.Equal(t, EndpointDeliveryName, can.WorkflowType.Name)
	var in EndpointDeliveryInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	return in
}
