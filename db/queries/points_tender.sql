-- Points as a checkout tender (issue 15, ADR 0022).

-- name: GetPointsHold :one
SELECT * FROM points_holds WHERE payment_id = @payment_id;

-- name: CreatePointsHold :exec
INSERT INTO points_holds (payment_id, customer_id, currency, amount, status)
VALUES (@payment_id, @customer_id, @currency, @amount, 'active');

-- name: ActivePointsHoldsTotal :one
SELECT COALESCE(sum(amount), 0)::bigint AS total
FROM points_holds WHERE customer_id = @customer_id AND currency = @currency AND status = 'active';

-- name: ReleasePointsHold :execrows
UPDATE points_holds SET status = 'released', updated_at = now()
WHERE payment_id = @payment_id AND status = 'active';

-- name: CapturePointsHold :execrows
UPDATE points_holds SET status = 'captured', updated_at = now()
WHERE payment_id = @payment_id AND status = 'active';

-- name: LockSpendablePointsBuckets :many
-- A customer's buckets with points left, in spending (FIFO by expiry) order, locked.
SELECT * FROM points_buckets
WHERE customer_id = @customer_id AND currency = @currency AND remaining > 0
ORDER BY expires_at, id
FOR UPDATE;

-- name: TakeFromPointsBucket :exec
UPDATE points_buckets SET remaining = remaining - @amount WHERE id = @id;

-- name: GiveToPointsBucket :exec
UPDATE points_buckets SET remaining = remaining + @amount WHERE id = @id;

-- name: InsertPointsSpend :exec
INSERT INTO points_spends (payment_id, bucket_id, seq, amount) VALUES (@payment_id, @bucket_id, @seq, @amount);

-- name: ListPointsSpends :many
-- A payment's spent buckets in spending order, each locked, with its state now.
SELECT s.bucket_id, s.amount, b.expires_at, b.expired_at
FROM points_spends s JOIN points_buckets b ON b.id = s.bucket_id
WHERE s.payment_id = @payment_id
ORDER BY s.seq
FOR UPDATE OF b;

-- name: InsertPointsReturn :exec
INSERT INTO points_returns (refund_id, bucket_id, into_bucket_id, amount)
VALUES (@refund_id, @bucket_id, @into_bucket_id, @amount);

-- name: InsertReturnedPointsBucket :one
-- A bucket for points returned after the bucket they came from expired.
INSERT INTO points_buckets (customer_id, currency, source_key, payment_id, amount, remaining, earned_at, expires_at)
VALUES (@customer_id, @currency, @source_key, sqlc.narg(payment_id), @amount, @amount, @earned_at, @expires_at)
RETURNING id;

-- name: PointsAvailable :one
-- The points a checkout may hold: the ledger balance minus the active holds.
SELECT (-COALESCE((SELECT sum(p.amount) FROM journal_postings p WHERE p.account = @account AND p.currency = @currency), 0)
        - COALESCE((SELECT sum(h.amount) FROM points_holds h
                    WHERE h.customer_id = @customer_id AND h.currency = @currency AND h.status = 'active'), 0))::bigint AS available;
