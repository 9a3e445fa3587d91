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
