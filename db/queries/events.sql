-- name: InsertEvent :exec
-- Once per key: an activity retry that re-runs its transaction adds nothing.
INSERT INTO events (id, type, key, subject_id, data) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key) DO NOTHING;

-- name: GetEvent :one
SELECT * FROM events WHERE id = $1;

-- name: UndispatchedEvents :many
-- Locked so that two relays never dispatch the same event at once.
SELECT * FROM events WHERE dispatched_at IS NULL ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED;

-- name: MarkEventsDispatched :exec
UPDATE events SET dispatched_at = now() WHERE id = ANY (sqlc.arg(ids)::text[]);

-- name: CreateDeliveriesForEvents :many
-- The relay fixes each event's deliveries (every active endpoint subscribed
-- to its type) and learns which events have one pending: only those need a
-- delivery workflow. The CTE's rows are invisible to the second branch (one
-- snapshot), hence the union with those created by an earlier attempt.
WITH created AS (
    INSERT INTO event_deliveries (event_id, endpoint_id)
    SELECT ev.id, e.id FROM events ev
      JOIN webhook_endpoints e ON e.status = 'active' AND (cardinality(e.event_types) = 0 OR ev.type = ANY (e.event_types))
     WHERE ev.id = ANY (sqlc.arg(event_ids)::text[])
    ON CONFLICT DO NOTHING
    RETURNING event_id)
SELECT event_id FROM created
UNION
SELECT d.event_id FROM event_deliveries d WHERE d.event_id = ANY (sqlc.arg(event_ids)::text[]) AND d.status = 'pending';

-- name: CreateDeliveriesForEvent :exec
-- Every active endpoint subscribed to the event's type (an empty list is every type).
INSERT INTO event_deliveries (event_id, endpoint_id)
SELECT sqlc.arg(event_id)::text, e.id FROM webhook_endpoints e
 WHERE e.status = 'active' AND (cardinality(e.event_types) = 0 OR sqlc.arg(event_type)::text = ANY (e.event_types))
ON CONFLICT DO NOTHING;

-- name: PendingDeliveries :many
SELECT endpoint_id FROM event_deliveries WHERE event_id = $1 AND status = 'pending' ORDER BY endpoint_id;

-- name: RecordDeliveryAttempt :exec
INSERT INTO event_delivery_attempts (event_id, endpoint_id, attempt, status_code, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (event_id, endpoint_id, attempt) DO UPDATE
   SET status_code = EXCLUDED.status_code, error = EXCLUDED.error, duration_ms = EXCLUDED.duration_ms, created_at = now();

-- name: FinishDelivery :exec
UPDATE event_deliveries
   SET status = sqlc.arg(status), attempts = sqlc.arg(attempts),
       delivered_at = CASE WHEN sqlc.arg(status) = 'delivered' THEN now() END, updated_at = now()
 WHERE event_id = sqlc.arg(event_id) AND endpoint_id = sqlc.arg(endpoint_id) AND status = 'pending';

-- name: ListDeliveryAttempts :many
SELECT * FROM event_delivery_attempts WHERE event_id = $1 ORDER BY endpoint_id, attempt;

-- name: ListEventDeliveries :many
SELECT * FROM event_deliveries WHERE event_id = $1 ORDER BY endpoint_id;

-- name: CreateWebhookEndpoint :one
INSERT INTO webhook_endpoints (id, url, event_types, secret_sealed) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: GetWebhookEndpoint :one
SELECT * FROM webhook_endpoints WHERE id = $1 AND status = 'active';

-- name: ListWebhookEndpoints :many
SELECT * FROM webhook_endpoints WHERE status = 'active' ORDER BY created_at, id;

-- name: DeleteWebhookEndpoint :execrows
UPDATE webhook_endpoints SET status = 'deleted', deleted_at = now() WHERE id = $1 AND status = 'active';

-- name: CancelEndpointDeliveries :exec
UPDATE event_deliveries SET status = 'canceled', updated_at = now() WHERE endpoint_id = $1 AND status = 'pending';

-- name: RotateWebhookSecret :one
-- The current secret becomes the previous one, which keeps signing until expires.
UPDATE webhook_endpoints
   SET previous_secret_sealed = secret_sealed, previous_expires_at = sqlc.arg(previous_expires_at),
       secret_sealed = sqlc.arg(secret_sealed)
 WHERE id = sqlc.arg(id) AND status = 'active'
RETURNING *;

-- name: InsertWebhookInbox :execrows
-- 0 rows: this provider event was received before (a duplicate delivery).
INSERT INTO webhook_inbox (provider, event_id, event_type, payment_key, payload, status)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (provider, event_id) DO NOTHING;

-- name: ListEvents :many
-- Newest first; subject_id '' lists every subject. customer_id '' is a
-- platform-wide key; otherwise only events whose subject (a payment or a
-- top-up) belongs to that customer, so a subject without a customer (a payout)
-- is never shown to a customer's key.
SELECT id, type, subject_id, created_at, dispatched_at
FROM events
WHERE (sqlc.arg(subject_id)::text = '' OR subject_id = sqlc.arg(subject_id)::text)
  AND (sqlc.arg(customer_id)::text = ''
       OR EXISTS (SELECT 1 FROM payments p WHERE p.id = events.subject_id AND p.customer_id = sqlc.arg(customer_id)::text)
       OR EXISTS (SELECT 1 FROM wallet_topups t WHERE t.id = events.subject_id AND t.customer_id = sqlc.arg(customer_id)::text))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(page_size)::int;

-- name: GetEventOwner :one
-- The event and the customer its subject belongs to ('' for a subject without one).
SELECT e.id, e.type,
       COALESCE((SELECT p.customer_id FROM payments p WHERE p.id = e.subject_id),
                (SELECT t.customer_id FROM wallet_topups t WHERE t.id = e.subject_id), '')::text AS customer_id
FROM events e WHERE e.id = $1;
