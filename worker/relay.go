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

// Relay moves events from the transactional outbox to Temporal: for each event
// not yet dispatched it starts the DeliverEvent workflow event-{id} and stamps
// the event dispatched. The start rejects a duplicate id, so an event whose
// stamp was lost (a crash between start and commit) is never delivered twice.
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

// Dispatch starts the delivery of up to one batch of events and says how many.
func (r *Relay) Dispatch(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		evs, err := q.UndispatchedEvents(ctx, relayBatch)
		if err != nil {
			return fmt.Errorf("undispatched events: %w", err)
		}
		for _, ev := range evs {
			_, err := r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: workflows.DeliverEventID(ev.ID), TaskQueue: r.TaskQueue,
				WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
				WorkflowExecutionErrorWhenAlreadyStarted: true,
			}, workflows.DeliverEventName, workflows.DeliverEventInput{EventID: ev.ID, Backoff: r.Backoff})
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if err != nil && !errors.As(err, &started) {
				return fmt.Errorf("start delivery of %s: %w", ev.ID, err)
			}
			if err := q.MarkEventDispatched(ctx, ev.ID); err != nil {
				return fmt.Errorf("mark %s dispatched: %w", ev.ID, err)
			}
			n++
		}
		return nil
	})
	return n, err
}
