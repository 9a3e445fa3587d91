-- Refunds taking back earned points (issue 15, ADR 0023).

-- name: SetPointsBucketBase :exec
-- Records what an earning's points were a rate of (once: a retry changes nothing).
UPDATE points_buckets SET earn_base = @earn_base WHERE source_key = @source_key AND earn_base IS NULL;

-- name: PointsEarningsOfPayment :many
-- The buckets a payment's earnings made (at capture, or one per confirmed
-- item), by their source keys.
SELECT * FROM points_buckets WHERE source_key = ANY(@source_keys::text[]) ORDER BY id;

-- name: PointsReversedOf :one
-- What refunds not restored took back of an earning so far, and of it from
-- the earning's expired points.
SELECT COALESCE(sum(points), 0)::bigint AS points, COALESCE(sum(from_expired), 0)::bigint AS from_expired
FROM points_reversals WHERE source_key = @source_key AND restored_at IS NULL;

-- name: PointsExpiredOfBucket :one
-- What a bucket lost to expiry (its expiry journal's credit to points:expired).
SELECT COALESCE(-sum(p.amount), 0)::bigint AS points
FROM journal_transactions t JOIN journal_postings p ON p.transaction_id = t.id
WHERE t.idempotency_key = @idempotency_key AND p.account = 'points:expired';

-- name: PointsReversalsOfRefund :many
SELECT * FROM points_reversals WHERE refund_id = @refund_id ORDER BY source_key;

-- name: InsertPointsReversal :exec
INSERT INTO points_reversals (refund_id, source_key, payment_id, customer_id, currency, points, taken, from_expired, shortfall, forgiven)
VALUES (@refund_id, @source_key, @payment_id, @customer_id, @currency, @points, @taken, @from_expired, @shortfall, @forgiven);

-- name: InsertPointsReversalTake :exec
INSERT INTO points_reversal_takes (refund_id, bucket_id, points) VALUES (@refund_id, @bucket_id, @points)
ON CONFLICT (refund_id, bucket_id) DO UPDATE SET points = points_reversal_takes.points + EXCLUDED.points;

-- name: PointsReversalTakes :many
SELECT t.bucket_id, t.points, (b.expired_at IS NOT NULL)::boolean AS expired
FROM points_reversal_takes t JOIN points_buckets b ON b.id = t.bucket_id
WHERE t.refund_id = @refund_id ORDER BY t.bucket_id;

-- name: MarkPointsReversalsRestored :execrows
UPDATE points_reversals SET restored_at = @restored_at WHERE refund_id = @refund_id AND restored_at IS NULL;
