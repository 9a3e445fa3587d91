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
-- to its type), to be made by the endpoint's delivery loop (via 'loop'), and
-- learns which endpoints have one pending among these events: only their
-- loops need waking. The CTE's rows are invisible to the second branch (one
-- snapshot), hence the union with those created by an earlier attempt.
WITH created AS (
    INSERT INTO event_deliveries (event_id, endpoint_id, via)
    SELECT ev.id, e.id, 'loop' FROM events ev
      JOIN webhook_endpoints e ON e.status = 'active' AND (cardinality(e.event_types) = 0 OR ev.type = ANY (e.event_types))
     WHERE ev.id = ANY (sqlc.arg(event_ids)::text[])
    ON CONFLICT DO NOTHING
    RETURNING endpoint_id)
SELECT endpoint_id FROM created
UNION
SELECT d.endpoint_id FROM event_deliveries d
 WHERE d.event_id = ANY (sqlc.arg(event_ids)::text[]) AND d.status = 'pending' AND d.via = 'loop'
ORDER BY endpoint_id;

-- name: CreateDeliveriesForEvent :exec
-- Every active endpoint subscribed to the event's type (an empty list is every type).
INSERT INTO event_deliveries (event_id, endpoint_id)
SELECT sqlc.arg(event_id)::text, e.id FROM webhook_endpoints e
 WHERE e.status = 'active' AND (cardinality(e.event_types) = 0 OR sqlc.arg(event_type)::text = ANY (e.event_types))
ON CONFLICT DO NOTHING;

-- name: PendingDeliveries :many
-- A DeliverEvent workflow's own rows: never one a delivery loop makes.
SELECT endpoint_id FROM event_deliveries WHERE event_id = $1 AND status = 'pending' AND via = 'event' ORDER BY endpoint_id;

-- name: RecordDeliveryAttempt :exec
INSERT INTO event_delivery_attempts (event_id, endpoint_id, attempt, status_code, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (event_id, endpoint_id, attempt) DO UPDATE
   SET status_code = EXCLUDED.status_code, error = EXCLUDED.error, duration_ms = EXCLUDED.duration_ms, created_at = now();

-- name: FinishDelivery :exec
UPDATE event_deliveries
   SET status = sqlc.arg(status), attempts = sqlc.arg(attempts),
       delivered_at = CASE WHEN sqlc.arg(status) = 'delivered' THEN now() END, updated_at = now()
 WHERE event_id = sqlc.arg(event_id) AND endpoint_id = sqlc.arg(endpoint_id) AND status = 'pending' AND via = 'event';

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

-- name: NextLoopDeliveries :many
-- An endpoint's delivery loop reads its pending rows in outbox order (the
-- order the relay dispatches: created_at, id), the first undelivered first.
SELECT d.event_id, d.attempts, ev.type, ev.data, ev.created_at
FROM event_deliveries d JOIN events ev ON ev.id = d.event_id
WHERE d.endpoint_id = sqlc.arg(endpoint_id) AND d.status = 'pending' AND d.via = 'loop'
ORDER BY ev.created_at, ev.id
LIMIT sqlc.arg(page_size)::int;

-- name: CountLoopAttempt :one
-- One more attempt of a loop delivery, delivered when the endpoint said 2xx;
-- the count numbers the attempt's record. No row: the delivery is no longer
-- pending (the endpoint was deleted, or a concurrent attempt delivered it).
UPDATE event_deliveries
   SET attempts = attempts + 1, updated_at = now(),
       status = CASE WHEN sqlc.arg(delivered)::bool THEN 'delivered' ELSE status END,
       delivered_at = CASE WHEN sqlc.arg(delivered)::bool THEN now() END
 WHERE event_id = sqlc.arg(event_id) AND endpoint_id = sqlc.arg(endpoint_id) AND status = 'pending' AND via = 'loop'
RETURNING attempts;

-- name: GiveUpLoopDelivery :exec
-- The endpoint refused this event MaxAttempts times: it joins the failed
-- queue (re-sendable) and the loop goes on with the next one.
UPDATE event_deliveries SET status = 'failed', updated_at = now()
 WHERE event_id = $1 AND endpoint_id = $2 AND status = 'pending' AND via = 'loop';

-- name: SetEndpointPaused :exec
-- The circuit breaker's state, for the backlog view: paused since the first
-- opening, NULL once a probe succeeded.
UPDATE webhook_endpoints
   SET paused_at = CASE WHEN sqlc.arg(paused)::bool THEN COALESCE(paused_at, now()) END
 WHERE id = sqlc.arg(id);

-- name: EndpointBacklog :many
-- Per active endpoint with anything owed or a paused loop: the deliveries not
-- yet made and the age of the oldest one.
SELECT e.id, e.url, e.paused_at, count(d.event_id)::bigint AS pending,
       min(ev.created_at)::timestamptz AS oldest_pending_at
FROM webhook_endpoints e
LEFT JOIN event_deliveries d ON d.endpoint_id = e.id AND d.status = 'pending'
LEFT JOIN events ev ON ev.id = d.event_id
WHERE e.status = 'active'
GROUP BY e.id
HAVING count(d.event_id) > 0 OR e.paused_at IS NOT NULL
ORDER BY e.id;
