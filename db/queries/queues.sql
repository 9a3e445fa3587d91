-- Look-ups and actions for the work that needs a person (console queues).

-- name: SearchPayments :many
-- Newest first; an empty filter matches every payment.
SELECT * FROM payments
WHERE (sqlc.arg(order_id)::text = '' OR order_id = sqlc.arg(order_id)::text)
  AND (sqlc.arg(customer_id)::text = '' OR customer_id = sqlc.arg(customer_id)::text)
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status)::text)
  AND (sqlc.arg(step)::text = '' OR id IN (SELECT e.payment_id FROM payment_events e WHERE e.step = sqlc.arg(step)::text))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(page_size)::int;

-- name: ListWebhookInbox :many
-- Newest first; status '' lists both delivered and unmatched.
SELECT id, provider, event_id, event_type, payment_key, status, received_at FROM webhook_inbox
WHERE (sqlc.arg(status)::text = '' OR status = sqlc.arg(status)::text)
ORDER BY received_at DESC, id DESC
LIMIT sqlc.arg(page_size)::int;

-- name: GetWebhookInboxForUpdate :one
SELECT * FROM webhook_inbox WHERE id = $1 FOR UPDATE;

-- name: MarkWebhookInboxDelivered :execrows
UPDATE webhook_inbox SET status = 'delivered' WHERE id = $1 AND status = 'unmatched';

-- name: ListDeliveriesByStatus :many
-- Newest change first, for the queue of deliveries that gave up.
SELECT d.event_id, d.endpoint_id, d.status, d.attempts, d.updated_at, e.type AS event_type, e.subject_id
FROM event_deliveries d JOIN events e ON e.id = d.event_id
WHERE d.status = sqlc.arg(status)::text
ORDER BY d.updated_at DESC, d.event_id, d.endpoint_id
LIMIT sqlc.arg(page_size)::int;

-- name: GetEventDeliveryForUpdate :one
SELECT * FROM event_deliveries WHERE event_id = $1 AND endpoint_id = $2 FOR UPDATE;

-- name: ReopenFailedDelivery :execrows
-- A delivery that gave up becomes pending again, for its endpoint's delivery
-- loop (whichever workflow tried it before); its attempt count stays, so the
-- re-send numbers its attempts after the earlier ones.
UPDATE event_deliveries SET status = 'pending', via = 'loop', updated_at = now()
WHERE event_id = $1 AND endpoint_id = $2 AND status = 'failed';

-- name: ListSettlementsAtRisk :many
-- The confirmed sales not yet paid that are due before at_risk_by (the deadline
-- check's window), soonest due first: overdue ones (due before now) lead.
SELECT e.id, e.producer_id, e.payment_id, p.order_id, e.currency, e.net, e.confirmed_at, e.due_at,
       COALESCE(e.payout_id, '')::text AS payout_id, COALESCE(po.status, '')::text AS payout_status
FROM settlement_entries e
JOIN payments p ON p.id = e.payment_id
LEFT JOIN payouts po ON po.id = e.payout_id
WHERE e.kind = 'sale' AND e.due_at < sqlc.arg(at_risk_by)::timestamptz
  AND (e.payout_id IS NULL OR po.status <> 'paid')
ORDER BY e.due_at, e.id
LIMIT sqlc.arg(page_size)::int;
