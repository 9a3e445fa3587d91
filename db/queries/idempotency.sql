-- name: ClaimIdempotencyKey :one
-- Inserts a new claim, or takes over one whose holder died (lock expired) for the
-- same request. A row back means the caller holds the claim; no row means another
-- request holds it or it is done (read it with GetIdempotencyKey).
INSERT INTO idempotency_keys (api_key_id, key, request_hash, status, locked_until)
VALUES ($1, $2, $3, 'in_progress', now() + sqlc.arg(lock_for)::interval)
ON CONFLICT (api_key_id, key) DO UPDATE
SET locked_until = now() + sqlc.arg(lock_for)::interval
WHERE idempotency_keys.status = 'in_progress'
  AND idempotency_keys.locked_until < now()
  AND idempotency_keys.request_hash = EXCLUDED.request_hash
RETURNING status;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE api_key_id = $1 AND key = $2;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys
SET status = 'done', response_status = $3, response_body = $4
WHERE api_key_id = $1 AND key = $2;

-- name: ReleaseIdempotencyKey :exec
-- Frees a claim whose answer was not final (202 processing, or an error before any effect).
DELETE FROM idempotency_keys
WHERE api_key_id = $1 AND key = $2 AND status = 'in_progress';
