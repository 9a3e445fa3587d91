package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// Relay moves events from the transactional outbox to Temporal. For each batch
// of events not yet dispatched it fixes their deliveries (one per subscribed
// endpoint) and starts the DeliverEvent workflow event-{id} only for an event
// that has one: an event nobody subscribes to costs no workflow. Then it
// stamps the batch dispatched. The start rejects a duplicate id, so an event
// whose stamp was lost (a crash between start and commit) is never delivered
// twice.
type Relay struct {
	Pool      *pgxpool.Pool
	Temporal  client.Client
	TaskQueue string
	Interval  time.Duration
	Backoff   workflows.DeliveryBackoff
	Log       zerolog.Logger
}

// Run dispatches every Interval until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		for {
			n, err := r.Dispatch(ctx)
			if err != nil && ctx.Err() == nil {
				r.Log.Warn().Err(err).Msg("event relay")
			}
			if err != nil || n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

const relayBatch = 100

// Dispatch starts the delivery of up to one batch of events and says how many
// it dispatched (with or without a workflow). One transaction: the events'
// lock, their deliveries and their stamp commit together.
func (r *Relay) Dispatch(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		evs, err := q.UndispatchedEvents(ctx, relayBatch)
		if err != nil || len(evs) == 0 {
			return wrapIf(err, "undispatched events")
		}
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
		}
		subscribed, err := q.CreateDeliveriesForEvents(ctx, ids)
		if err != nil {
			return fmt.Errorf("deliveries of %d events: %w", len(ids), err)
		}
		owed := make(map[string]bool, len(subscribed))
		for _, id := range subscribed {
			owed[id] = true
		}
		for _, id := range ids { // in outbox order
			if owed[id] {
				if err := r.start(ctx, id); err != nil {
					return err
				}
			}
		}
		if err := q.MarkEventsDispatched(ctx, ids); err != nil {
			return fmt.Errorf("mark %d events dispatched: %w", len(ids), err)
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// start begins the delivery workflow of one event; already started is done.
func (r *Relay) start(ctx context.Context, eventID string) error {
	_, err := r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DeliverEventID(eventID), TaskQueue: r.TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.DeliverEventName, workflows.DeliverEventInput{EventID: eventID, Backoff: r.Backoff})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start delivery of %s: %w", eventID, err)
	}
	return nil
}

func wrapIf(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
