package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/signature"
)

// Event types paysaga sends to the app's webhook endpoints.
const (
	EventPaymentSucceeded = "payment.succeeded"
	EventPaymentFailed    = "payment.failed"
	EventPaymentRefunded  = "payment.refunded"
	EventTopUpSucceeded   = "topup.succeeded"
	EventPayoutPaid       = "payout.paid"
	EventPayoutHeld       = "payout.held"
	EventRiskCardTesting  = "risk.card_testing_detected"
)

// EventTypes lists every type, for validating an endpoint's subscription.
var EventTypes = []string{EventPaymentSucceeded, EventPaymentFailed, EventPaymentRefunded, EventTopUpSucceeded, EventPayoutPaid, EventPayoutHeld, EventSettlementDeadline, EventRiskCardTesting, EventPointsExpiring, EventSafeguardingShortfall}

// Headers of an event request.
const (
	HeaderSignature = "Paysaga-Signature"
	HeaderEventID   = "Paysaga-Event-Id"
	HeaderEventType = "Paysaga-Event-Type"
)

// emitEvent writes an event to the outbox inside the caller's transaction: it
// commits with the state change or not at all. key names the change
// (payment:{id}:succeeded) so a retried transaction adds it once.
func emitEvent(ctx context.Context, q *db.Queries, typ, key, subjectID string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("event %s data: %w", key, err)
	}
	err = q.InsertEvent(ctx, db.InsertEventParams{ID: "evt_" + uuid.NewString(), Type: typ, Key: key, SubjectID: subjectID, Data: b})
	if err != nil {
		return fmt.Errorf("emit %s: %w", key, err)
	}
	return nil
}

// Events delivers outbox events to the app's endpoints, one signed HTTP
// attempt per call.
type Events struct {
	Pool *pgxpool.Pool
	Keys *pii.Keys    // unseals endpoint secrets
	HTTP *http.Client // its Timeout bounds one attempt
}

type EventRef struct {
	EventID string
}

// PrepareDeliveries creates a delivery for every active endpoint subscribed to
// the event's type (once) and lists those still pending.
func (e *Events) PrepareDeliveries(ctx context.Context, in EventRef) ([]string, error) {
	var pending []string
	err := pgx.BeginFunc(ctx, e.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		ev, err := q.GetEvent(ctx, in.EventID)
		if err != nil {
			return fmt.Errorf("load event %s: %w", in.EventID, err)
		}
		if err := q.CreateDeliveriesForEvent(ctx, db.CreateDeliveriesForEventParams{EventID: ev.ID, EventType: ev.Type}); err != nil {
			return fmt.Errorf("deliveries of %s: %w", ev.ID, err)
		}
		pending, err = q.PendingDeliveries(ctx, ev.ID)
		if err != nil {
			return fmt.Errorf("pending deliveries of %s: %w", ev.ID, err)
		}
		return nil
	})
	return pending, err
}

type DeliverInput struct {
	EventID    string
	EndpointID string
	Attempt    int
}

type DeliverResult struct {
	Delivered  bool // the endpoint answered 2xx
	Gone       bool // the endpoint was deleted: stop trying
	StatusCode int  // 0 when no HTTP answer came
}

// Envelope is the JSON body of an event request.
type Envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Deliver makes one signed attempt and records it. An endpoint that fails or
// does not answer is a result (Delivered false), not an error: the workflow
// owns the backoff. Only a database failure is an error.
func (e *Events) Deliver(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	q := db.New(e.Pool)
	ev, err := q.GetEvent(ctx, in.EventID)
	if err != nil {
		return DeliverResult{}, fmt.Errorf("load event %s: %w", in.EventID, err)
	}
	ep, err := q.GetWebhookEndpoint(ctx, in.EndpointID)
	if errors.Is(err, pgx.ErrNoRows) {
		return DeliverResult{Gone: true}, nil
	}
	if err != nil {
		return DeliverResult{}, fmt.Errorf("load endpoint %s: %w", in.EndpointID, err)
	}
	secrets, err := e.secrets(ep)
	if err != nil {
		return DeliverResult{}, err
	}
	body, err := json.Marshal(Envelope{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt.Time.UTC(), Data: ev.Data})
	if err != nil {
		return DeliverResult{}, fmt.Errorf("event %s body: %w", ev.ID, err)
	}
	start := time.Now()
	status, sendErr := e.send(ctx, ep.Url, ev.ID, ev.Type, body, secrets)
	res := DeliverResult{StatusCode: status, Delivered: sendErr == nil && status >= 200 && status < 300}
	msg := ""
	switch {
	case sendErr != nil:
		msg = sendErr.Error()
	case !res.Delivered:
		msg = fmt.Sprintf("endpoint answered %d", status)
	}
	err = q.RecordDeliveryAttempt(ctx, db.RecordDeliveryAttemptParams{
		EventID: ev.ID, EndpointID: ep.ID, Attempt: int32(in.Attempt), StatusCode: int32(status),
		Error: msg, DurationMs: int32(time.Since(start).Milliseconds()),
	})
	if err != nil {
		return res, fmt.Errorf("record attempt %d of %s to %s: %w", in.Attempt, ev.ID, ep.ID, err)
	}
	return res, nil
}

// secrets are the endpoint's signing secrets: the current one, then the
// previous one while its grace period lasts.
func (e *Events) secrets(ep db.WebhookEndpoint) ([][]byte, error) {
	cur, err := e.Keys.Open(ep.SecretSealed)
	if err != nil {
		return nil, fmt.Errorf("unseal secret of %s: %w", ep.ID, err)
	}
	out := [][]byte{[]byte(cur)}
	if ep.PreviousSecretSealed != nil && ep.PreviousExpiresAt.Valid && ep.PreviousExpiresAt.Time.After(time.Now()) {
		prev, err := e.Keys.Open(ep.PreviousSecretSealed)
		if err != nil {
			return nil, fmt.Errorf("unseal previous secret of %s: %w", ep.ID, err)
		}
		out = append(out, []byte(prev))
	}
	return out, nil
}

func (e *Events) send(ctx context.Context, url, eventID, eventType string, body []byte, secrets [][]byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paysaga-webhooks/1")
	req.Header.Set(HeaderEventID, eventID)
	req.Header.Set(HeaderEventType, eventType)
	req.Header.Set(HeaderSignature, signature.Header(time.Now().Unix(), body, secrets...))
	res, err := e.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	return res.StatusCode, nil
}

type FinishDeliveryInput struct {
	EventID    string
	EndpointID string
	Status     string // delivered | failed | canceled
	Attempts   int
}

// FinishDelivery records a delivery's final state (a pending one only).
func (e *Events) FinishDelivery(ctx context.Context, in FinishDeliveryInput) error {
	err := db.New(e.Pool).FinishDelivery(ctx, db.FinishDeliveryParams{
		EventID: in.EventID, EndpointID: in.EndpointID, Status: in.Status, Attempts: int32(in.Attempts),
	})
	if err != nil {
		return fmt.Errorf("finish delivery of %s to %s: %w", in.EventID, in.EndpointID, err)
	}
	return nil
}
