-- name: CreatePayment :one
-- Idempotent by id: the workflow's first step may run more than once.
INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, fee_amount, status, workflow_id, wallet_amount)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *;

-- name: CreatePaymentItem :exec
INSERT INTO payment_items (payment_id, producer_id, amount, fee, tax_free_amount)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (payment_id, producer_id) DO NOTHING;

-- name: GetPayment :one
SELECT * FROM payments WHERE id = $1;

-- name: GetPaymentByOrder :one
SELECT * FROM payments WHERE order_id = $1;

-- name: GetPaymentForUpdate :one
SELECT * FROM payments WHERE id = $1 FOR UPDATE;

-- name: ListPaymentItems :many
SELECT * FROM payment_items WHERE payment_id = $1 ORDER BY producer_id;

-- name: MarkPaymentAuthorized :exec
UPDATE payments
SET status = 'authorized', pg = $2, pg_payment_key = $3, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: MarkPaymentSucceeded :execrows
UPDATE payments
SET status = 'succeeded', pg = $2, pg_payment_key = $3, captured_amount = amount, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: MarkPaymentFailed :execrows
UPDATE payments
SET status = 'failed', failure_code = $2, failure_message = $3, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: MarkPaymentCanceledBeforeCapture :execrows
UPDATE payments
SET status = 'canceled', failure_code = $2, failure_message = $3, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: RecordPaymentEvent :exec
INSERT INTO payment_events (payment_id, step, detail)
VALUES ($1, $2, $3)
ON CONFLICT (payment_id, step) DO NOTHING;

-- name: ListPaymentEvents :many
SELECT step, detail, created_at FROM payment_events
WHERE payment_id = $1
ORDER BY id;
