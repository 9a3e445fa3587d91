package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// EndpointDeliveryName is the registered name of EndpointDelivery.
const EndpointDeliveryName = "EndpointDelivery"

// EndpointDeliveryWake is the signal the relay (and a re-send) sends a loop
// when its endpoint is owed something new. It carries nothing: the loop reads
// what is owed from PostgreSQL, so a lost or duplicated wake loses nothing.
const EndpointDeliveryWake = "wake"

// EndpointDeliveryID is endpoint-delivery:{endpoint id}: one loop per endpoint.
func EndpointDeliveryID(endpointID string) string { return "endpoint-delivery:" + endpointID }

// EndpointDeliverySettings shape one endpoint's loop (from config).
type EndpointDeliverySettings struct {
	// Backoff: waits between attempts of an event the endpoint refuses (a 4xx),
	// given up (failed queue) after MaxAttempts; Max also caps the cool-down.
	Backoff DeliveryBackoff
	// BreakerFailures consecutive outage failures (no answer, 5xx, 408, 429)
	// open the breaker: the loop pauses, then probes once per cool-down
	// (BreakerCooldown, doubling up to Backoff.Max) until one is delivered.
	BreakerFailures int
	BreakerCooldown time.Duration
	Batch           int           // deliveries per activity
	Pace            time.Duration // pause between two requests to the endpoint
	AttemptTimeout  time.Duration // one HTTP attempt (bounds the activity)
	// IdleRecheck: an idle loop reads PostgreSQL this often without a wake.
	IdleRecheck time.Duration
	// MaxBatches: activities per run before continue-as-new (history bound).
	MaxBatches int
}

// EndpointDeliveryState is what a run hands the next one on continue-as-new.
type EndpointDeliveryState struct {
	Failures     int    // consecutive outage failures
	Open         bool   // the breaker is open: one probe per cool-down
	Probes       int    // failed probes since it opened
	Head         string // the event the endpoint is refusing, if any
	HeadRefusals int    // its refusals by this loop
}

type EndpointDeliveryInput struct {
	EndpointID string
	Settings   EndpointDeliverySettings
	State      EndpointDeliveryState
}

// EndpointDelivery delivers one endpoint's events in outbox order, for as
// long as the endpoint exists: a batch of its pending deliveries per activity,
// stopping at the first failure, which is retried before anything after it.
// An endpoint that stops answering opens the breaker (a probe per cool-down,
// not an attempt per event); the first delivered probe closes it and delivery
// resumes from the first undelivered event. Idle, it waits for a wake. It
// continues as new after MaxBatches activities, and ends when the endpoint is
// deleted (the API cancels it; a batch finding it gone ends it too).
func EndpointDelivery(ctx workflow.Context, in EndpointDeliveryInput) error {
	l := &endpointLoop{in: in, st: in.State, wake: workflow.GetSignalChannel(ctx, EndpointDeliveryWake)}
	for batches := 0; ; batches++ {
		if batches >= in.Settings.MaxBatches || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			l.drainWakes()
			return workflow.NewContinueAsNewError(ctx, EndpointDeliveryName, EndpointDeliveryInput{
				EndpointID: in.EndpointID, Settings: in.Settings, State: l.st})
		}
		r, ok, err := l.deliverBatch(ctx)
		switch {
		case err != nil:
			return err
		case !ok: // the database failed: try again after the wait
		case r.Gone:
			return nil
		case r.Failure == nil:
			if err := l.delivered(ctx, r); err != nil {
				return err
			}
		case r.Failure.Refused:
			if err := l.refused(ctx, *r.Failure); err != nil {
				return err
			}
		default:
			if err := l.outage(ctx); err != nil {
				return err
			}
		}
	}
}

type endpointLoop struct {
	in   EndpointDeliveryInput
	st   EndpointDeliveryState
	wake workflow.ReceiveChannel
}

// deliverBatch sends the next pending deliveries; while the breaker is open,
// only one (the probe). A database failure past the activity's retries waits
// a cool-down and is not ok (the breaker's state is left as it was), so the
// loop never dies of it.
func (l *endpointLoop) deliverBatch(ctx workflow.Context) (activities.DeliverBatchResult, bool, error) {
	s := l.in.Settings
	limit := s.Batch
	if l.st.Open {
		limit = 1
	}
	var r activities.DeliverBatchResult
	err := workflow.ExecuteActivity(batchCtx(ctx, s, limit), events.DeliverBatch, activities.DeliverBatchInput{
		EndpointID: l.in.EndpointID, Limit: limit, Pace: s.Pace,
	}).Get(ctx, &r)
	switch {
	case err == nil:
		return r, true, nil
	case ctx.Err() != nil: // canceled: the endpoint was deleted
		return r, false, err
	}
	workflow.GetLogger(ctx).Warn("endpoint delivery batch failed", "endpoint_id", l.in.EndpointID, "error", err)
	return r, false, workflow.Sleep(ctx, s.BreakerCooldown)
}

// delivered: everything read went out. The breaker closes if it was open;
// a full batch means more may be pending, otherwise wait for a wake.
func (l *endpointLoop) delivered(ctx workflow.Context, r activities.DeliverBatchResult) error {
	if err := l.close(ctx); err != nil {
		return err
	}
	l.st.Head, l.st.HeadRefusals = "", 0
	if r.Full {
		return nil
	}
	l.waitForWake(ctx)
	return ctx.Err()
}

// refused: the endpoint is up but refuses this event; it is retried with
// backoff and, after MaxAttempts refusals, given up (failed queue) so that
// the events after it are not held back forever.
func (l *endpointLoop) refused(ctx workflow.Context, f activities.DeliveryFailure) error {
	if err := l.close(ctx); err != nil {
		return err
	}
	if l.st.Head != f.EventID {
		l.st.Head, l.st.HeadRefusals = f.EventID, 0
	}
	l.st.HeadRefusals++
	if l.st.HeadRefusals >= l.in.Settings.Backoff.MaxAttempts {
		l.st.Head, l.st.HeadRefusals = "", 0
		return workflow.ExecuteActivity(eventCtx(ctx), events.GiveUpDelivery, activities.LoopDeliveryRef{
			EventID: f.EventID, EndpointID: l.in.EndpointID}).Get(ctx, nil)
	}
	return workflow.Sleep(ctx, l.in.Settings.Backoff.Wait(l.st.HeadRefusals))
}

// outage: no answer, or a 5xx. Below the threshold, back off; at it, the
// breaker opens; open, each failed probe doubles the cool-down (capped).
// Nothing is ever given up for an outage: the backlog waits, in order.
func (l *endpointLoop) outage(ctx workflow.Context) error {
	s := l.in.Settings
	l.st.Failures++
	if !l.st.Open && l.st.Failures < s.BreakerFailures {
		return workflow.Sleep(ctx, s.Backoff.Wait(l.st.Failures))
	}
	if !l.st.Open {
		l.st.Open, l.st.Probes = true, 0
		if err := l.setPaused(ctx, true); err != nil {
			return err
		}
	}
	wait := DeliveryBackoff{Initial: s.BreakerCooldown, Max: max(s.Backoff.Max, s.BreakerCooldown)}.Wait(l.st.Probes + 1)
	l.st.Probes++
	return workflow.Sleep(ctx, wait)
}

func (l *endpointLoop) close(ctx workflow.Context) error {
	l.st.Failures = 0
	if !l.st.Open {
		return nil
	}
	l.st.Open, l.st.Probes = false, 0
	return l.setPaused(ctx, false)
}

func (l *endpointLoop) setPaused(ctx workflow.Context, paused bool) error {
	return workflow.ExecuteActivity(eventCtx(ctx), events.SetEndpointPaused, activities.EndpointPausedInput{
		EndpointID: l.in.EndpointID, Paused: paused}).Get(ctx, nil)
}

// waitForWake blocks until a wake (then takes every buffered one: one read
// covers them all) or IdleRecheck passes.
func (l *endpointLoop) waitForWake(ctx workflow.Context) {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(l.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.AddFuture(workflow.NewTimer(timerCtx, l.in.Settings.IdleRecheck), func(workflow.Future) {})
	sel.Select(ctx)
	l.drainWakes()
}

func (l *endpointLoop) drainWakes() {
	for l.wake.ReceiveAsync(nil) {
	}
}

// batchCtx bounds a batch by its attempts: each may take AttemptTimeout, and
// a heartbeat after each lets a lost worker's batch be retried soon.
func batchCtx(ctx workflow.Context, s EndpointDeliverySettings, limit int) workflow.Context {
	per := s.AttemptTimeout + s.Pace
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Duration(limit)*per + 30*time.Second,
		HeartbeatTimeout:    per + 5*time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    10,
		},
	})
}
