-- name: InsertPointsBucket :execrows
-- Idempotent by source_key: a retried earning adds nothing.
INSERT INTO points_buckets (customer_id, currency, source_key, payment_id, amount, remaining, earned_at, expires_at)
VALUES (@customer_id, @currency, @source_key, sqlc.narg(payment_id), @amount, @amount, @earned_at, @expires_at)
ON CONFLICT (source_key) DO NOTHING;

-- name: ListPointsBuckets :many
-- A customer's buckets with points left, in spending (FIFO) order.
SELECT * FROM points_buckets
WHERE customer_id = @customer_id AND remaining > 0
ORDER BY expires_at, id;

-- name: DuePointsBuckets :many
-- Buckets past their expiry with points left, oldest first.
SELECT id, customer_id FROM points_buckets
WHERE remaining > 0 AND expires_at <= @now
ORDER BY expires_at, id
LIMIT @max_rows;

-- name: LockPointsBucket :one
SELECT * FROM points_buckets WHERE id = @id FOR UPDATE;

-- name: ExpirePointsBucket :exec
UPDATE points_buckets SET remaining = 0, expired_at = @expired_at WHERE id = @id;

-- name: ExpiringPointsBuckets :many
-- Buckets expiring by @until whose customer was not told yet.
SELECT * FROM points_buckets
WHERE remaining > 0 AND expiry_notified_at IS NULL AND expires_at <= @until
ORDER BY expires_at, id
LIMIT @max_rows;

-- name: MarkPointsExpiryNotified :execrows
UPDATE points_buckets SET expiry_notified_at = @notified_at WHERE id = @id AND expiry_notified_at IS NULL;

-- name: PointsEarnedByPayment :one
SELECT COALESCE(sum(amount), 0)::bigint AS earned FROM points_buckets WHERE payment_id = @payment_id;

-- name: PointsRemaining :one
SELECT COALESCE(sum(remaining), 0)::bigint AS remaining FROM points_buckets WHERE customer_id = @customer_id AND currency = @currency;

-- name: PointsBucketBySource :one
-- The bucket an earning made, to answer a retried earning without earning again.
SELECT amount FROM points_buckets WHERE source_key = @source_key;
