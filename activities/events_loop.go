package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"

	"github.com/paysaga/paysaga/db"
)

// The activities of an endpoint's delivery loop (workflows.EndpointDelivery,
// issue 19). The loop owns no list of events: PostgreSQL does. Each call reads
// the endpoint's pending deliveries in outbox order and sends them one after
// the other, so an attempt lost with a worker is simply read and sent again.

type DeliverBatchInput struct {
	EndpointID string
	Limit      int           // deliveries read and sent at most
	Pace       time.Duration // pause between two requests to the endpoint
}

// DeliveryFailure is the first delivery of a batch that did not get a 2xx:
// the batch stops there, so nothing after it is sent before it.
type DeliveryFailure struct {
	EventID    string
	Attempts   int // the delivery's attempts so far, this one included
	StatusCode int // 0: no HTTP answer
	// Refused: the endpoint answered, and refused this event (a 4xx other than
	// 408 and 429). Anything else (no answer, 5xx, 408, 429) is an outage.
	Refused bool
}

type DeliverBatchResult struct {
	Delivered int              // deliveries answered 2xx, in order
	Full      bool             // Limit deliveries were read: more may be pending
	Gone      bool             // the endpoint was deleted: the loop ends
	Failure   *DeliveryFailure // nil when every delivery read was delivered
}

// DeliverBatch sends the endpoint's first pending deliveries in outbox order,
// one signed attempt each, Pace apart, stopping at the first that fails. Each
// attempt is counted and recorded in one transaction after its answer; an
// endpoint failure is a result, only a database failure is an error.
func (e *Events) DeliverBatch(ctx context.Context, in DeliverBatchInput) (DeliverBatchResult, error) {
	var res DeliverBatchResult
	q := db.New(e.Pool)
	ep, err := q.GetWebhookEndpoint(ctx, in.EndpointID)
	if errors.Is(err, pgx.ErrNoRows) {
		return DeliverBatchResult{Gone: true}, nil
	}
	if err != nil {
		return res, fmt.Errorf("load endpoint %s: %w", in.EndpointID, err)
	}
	secrets, err := e.secrets(ep)
	if err != nil {
		return res, err
	}
	rows, err := q.NextLoopDeliveries(ctx, db.NextLoopDeliveriesParams{EndpointID: ep.ID, PageSize: int32(in.Limit)})
	if err != nil {
		return res, fmt.Errorf("pending deliveries of %s: %w", ep.ID, err)
	}
	res.Full = len(rows) == in.Limit
	for i, d := range rows {
		if i > 0 && in.Pace > 0 {
			if err := sleepCtx(ctx, in.Pace); err != nil {
				return res, err
			}
		}
		activity.RecordHeartbeat(ctx, d.EventID)
		ok, f, err := e.attempt(ctx, ep, d, secrets)
		if err != nil {
			return res, err
		}
		if !ok {
			res.Full, res.Failure = false, f
			return res, nil
		}
		res.Delivered++
	}
	return res, nil
}

// attempt sends one pending delivery and records the attempt; ok when the
// endpoint answered 2xx (or the delivery stopped being pending meanwhile).
func (e *Events) attempt(ctx context.Context, ep db.WebhookEndpoint, d db.NextLoopDeliveriesRow, secrets [][]byte) (bool, *DeliveryFailure, error) {
	body, err := json.Marshal(Envelope{ID: d.EventID, Type: d.Type, CreatedAt: d.CreatedAt.Time.UTC(), Data: d.Data})
	if err != nil {
		return false, nil, fmt.Errorf("event %s body: %w", d.EventID, err)
	}
	start := time.Now()
	status, sendErr := e.send(ctx, ep.Url, d.EventID, d.Type, body, secrets)
	delivered := sendErr == nil && status >= 200 && status < 300
	msg := ""
	switch {
	case sendErr != nil:
		msg = sendErr.Error()
	case !delivered:
		msg = fmt.Sprintf("endpoint answered %d", status)
	}
	var n int32
	err = pgx.BeginFunc(ctx, e.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		n, err = q.CountLoopAttempt(ctx, db.CountLoopAttemptParams{Delivered: delivered, EventID: d.EventID, EndpointID: ep.ID})
		if err != nil {
			return err
		}
		return q.RecordDeliveryAttempt(ctx, db.RecordDeliveryAttemptParams{
			EventID: d.EventID, EndpointID: ep.ID, Attempt: n, StatusCode: int32(status),
			Error: msg, DurationMs: int32(time.Since(start).Milliseconds()),
		})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return true, nil, nil // no longer pending: nothing to wait for
	}
	if err != nil {
		return false, nil, fmt.Errorf("record attempt of %s to %s: %w", d.EventID, ep.ID, err)
	}
	if delivered {
		return true, nil, nil
	}
	return false, &DeliveryFailure{EventID: d.EventID, Attempts: int(n), StatusCode: status, Refused: refused(status)}, nil
}

// refused: the endpoint is up and says no to this request. Timeouts (408) and
// throttling (429) say come back later, as a 5xx does.
func refused(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type LoopDeliveryRef struct {
	EventID    string
	EndpointID string
}

// GiveUpDelivery moves a loop delivery the endpoint kept refusing to the
// failed queue, where ops can re-send it.
func (e *Events) GiveUpDelivery(ctx context.Context, in LoopDeliveryRef) error {
	if err := db.New(e.Pool).GiveUpLoopDelivery(ctx, db.GiveUpLoopDeliveryParams{EventID: in.EventID, EndpointID: in.EndpointID}); err != nil {
		return fmt.Errorf("give up delivery of %s to %s: %w", in.EventID, in.EndpointID, err)
	}
	return nil
}

type EndpointPausedInput struct {
	EndpointID string
	Paused     bool
}

// SetEndpointPaused records the endpoint's circuit breaker opening (paused)
// or closing, for the backlog view.
func (e *Events) SetEndpointPaused(ctx context.Context, in EndpointPausedInput) error {
	if err := db.New(e.Pool).SetEndpointPaused(ctx, db.SetEndpointPausedParams{Paused: in.Paused, ID: in.EndpointID}); err != nil {
		return fmt.Errorf("set endpoint %s paused=%v: %w", in.EndpointID, in.Paused, err)
	}
	return nil
}
