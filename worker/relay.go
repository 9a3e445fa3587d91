package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/deliveryloop"
	"github.com/paysaga/paysaga/workflows"
)

// Relay moves events from the transactional outbox to the endpoints' delivery
// loops. For each batch of events not yet dispatched it fixes their
// deliveries (one per subscribed endpoint, in the same transaction), wakes
// the loop of every endpoint owed one of them (signal-with-start, one call
// per endpoint and batch, never per event) and stamps the batch dispatched.
// An event nobody subscribes to costs no workflow and no signal. A wake lost
// with a crash before the commit is repeated by the next Dispatch; one sent
// for a batch that then rolled back only makes the loop look for nothing.
type Relay struct {
	Pool      *pgxpool.Pool
	Temporal  client.Client
	TaskQueue string
	Interval  time.Duration
	Delivery  workflows.EndpointDeliverySettings
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
		endpoints, err := q.CreateDeliveriesForEvents(ctx, ids)
		if err != nil {
			return fmt.Errorf("deliveries of %d events: %w", len(ids), err)
		}
		for _, ep := range endpoints {
			if err := deliveryloop.Wake(ctx, r.Temporal, r.TaskQueue, ep, r.Delivery); err != nil {
				return err
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

func wrapIf(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
