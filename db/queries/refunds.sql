-- name: CreateRefund :one
INSERT INTO refunds (id, payment_id, amount, reason, kind, refunded_before, status)
VALUES ($1, $2, $3, $4, $5, $6, 'processing')
RETURNING *;

-- name: GetRefund :one
SELECT * FROM refunds WHERE id = $1;

-- name: ListRefunds :many
SELECT * FROM refunds WHERE payment_id = $1 ORDER BY created_at, id;

-- name: SetPaymentRefunded :exec
UPDATE payments SET refunded_amount = $2, status = $3, updated_at = now()
WHERE id = $1;

-- name: MarkRefundSucceeded :execrows
UPDATE refunds SET status = 'succeeded', updated_at = now()
WHERE id = $1 AND status = 'processing';

-- name: MarkRefundFailed :execrows
UPDATE refunds SET status = 'failed', failure_code = $2, failure_message = $3, updated_at = now()
WHERE id = $1 AND status = 'processing';

-- name: CreateRefundItem :exec
INSERT INTO refund_items (refund_id, payment_id, producer_id, amount, refunded_before)
VALUES ($1, $2, $3, $4, $5);

-- name: ListRefundItems :many
SELECT * FROM refund_items WHERE refund_id = $1 ORDER BY producer_id;

-- name: RefundedByItem :one
-- What a payment's refunds (not failed) claimed: slice refunds in total, and
-- how many refunds named items (their per-item totals: NamedRefundTotals).
SELECT
    COALESCE(sum(r.amount) FILTER (WHERE NOT EXISTS (SELECT 1 FROM refund_items ri WHERE ri.refund_id = r.id)), 0)::bigint AS sliced,
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM refund_items ri WHERE ri.refund_id = r.id))::bigint AS itemized
FROM refunds r
WHERE r.payment_id = $1 AND r.status <> 'failed';

-- name: NamedRefundTotals :many
SELECT ri.producer_id, sum(ri.amount)::bigint AS amount
FROM refund_items ri JOIN refunds r ON r.id = ri.refund_id
WHERE ri.payment_id = $1 AND r.status <> 'failed'
GROUP BY ri.producer_id ORDER BY ri.producer_id;
