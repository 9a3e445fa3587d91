package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// DeliverEventName is the registered name of DeliverEvent.
const DeliverEventName = "DeliverEvent"

// DeliverEventID is event-{event id}: one delivery workflow per event, ever.
func DeliverEventID(eventID string) string { return "event-" + eventID }

// DeliveryBackoff bounds how an event is retried at an endpoint that fails:
// waits of Initial, 2x, 4x... capped at Max, for at most MaxAttempts attempts.
type DeliveryBackoff struct {
	Initial     time.Duration
	Max         time.Duration
	MaxAttempts int
}

// Wait is the pause after the given failed attempt (1-based).
func (b DeliveryBackoff) Wait(attempt int) time.Duration {
	d := b.Initial
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

type DeliverEventInput struct {
	EventID string
	Backoff DeliveryBackoff
	// A re-send (POST /v1/events/{id}/deliveries/{endpoint_id}/resend) names one
	// endpoint and the attempts it already made; the first delivery leaves both zero.
	EndpointID    string
	PriorAttempts int
}

// ResendEventID is the workflow of a re-send of an event to one endpoint after
// prior attempts: a double click, or a retried request, collapses onto one run.
func ResendEventID(eventID, endpointID string, prior int) string {
	return fmt.Sprintf("event-%s-resend-%s-%d", eventID, endpointID, prior)
}

type DeliverEventResult struct {
	Delivered int // endpoints that answered 2xx
	Failed    int // endpoints that never did within MaxAttempts
	Canceled  int // endpoints deleted while being tried
}

// DeliverEvent sends one outbox event to every endpoint subscribed to it, each
// on its own: a signed attempt, then on failure a durable timer (exponential,
// capped) before the next, until the endpoint answers 2xx or the attempts run
// out. An endpoint that is down delays only its own deliveries.
func DeliverEvent(ctx workflow.Context, in DeliverEventInput) (DeliverEventResult, error) {
	var res DeliverEventResult
	var endpoints []string
	if err := workflow.ExecuteActivity(eventCtx(ctx), events.PrepareDeliveries, activities.EventRef{EventID: in.EventID}).Get(ctx, &endpoints); err != nil {
		return res, err
	}
	if in.EndpointID != "" {
		// Only the named endpoint, and only while its delivery is pending.
		endpoints = slices.DeleteFunc(endpoints, func(ep string) bool { return ep != in.EndpointID })
	}
	wg := workflow.NewWaitGroup(ctx)
	var firstErr error
	for _, ep := range endpoints {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			status, err := deliverTo(ctx, in, ep)
			switch {
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case status == "delivered":
				res.Delivered++
			case status == "canceled":
				res.Canceled++
			default:
				res.Failed++
			}
		})
	}
	wg.Wait(ctx)
	return res, firstErr
}

var events *activities.Events

// deliverTo tries one endpoint until it answers 2xx, is deleted, or the attempts
// run out, and records the outcome.
func deliverTo(ctx workflow.Context, in DeliverEventInput, endpointID string) (string, error) {
	status, attempt := "failed", in.PriorAttempts+1
	for ; ; attempt++ {
		var r activities.DeliverResult
		err := workflow.ExecuteActivity(eventCtx(ctx), events.Deliver, activities.DeliverInput{
			EventID: in.EventID, EndpointID: endpointID, Attempt: attempt,
		}).Get(ctx, &r)
		if err != nil {
			return "", err
		}
		if r.Delivered {
			status = "delivered"
			break
		}
		if r.Gone {
			status = "canceled"
			break
		}
		if attempt-in.PriorAttempts >= in.Backoff.MaxAttempts {
			break
		}
		if err := workflow.Sleep(ctx, in.Backoff.Wait(attempt-in.PriorAttempts)); err != nil {
			return "", err
		}
	}
	err := workflow.ExecuteActivity(eventCtx(ctx), events.FinishDelivery, activities.FinishDeliveryInput{
		EventID: in.EventID, EndpointID: endpointID, Status: status, Attempts: attempt,
	}).Get(ctx, nil)
	return status, err
}

// eventCtx runs delivery activities as regular activities: an attempt may wait
// for a slow endpoint up to its HTTP timeout. Retries here cover the database
// only; the endpoint's own failures are retried by deliverTo's backoff.
func eventCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    10,
		},
	})
}
