-- name: ClaimIdempotencyKey :one
-- Inserts a new claim, or takes over one whose holder died (its lease ran out)
-- for the same request. A row back means the caller holds the claim; no row
-- means another request holds it or it is done (read it with GetIdempotencyKey).
INSERT INTO idempotency_keys (api_key_id, key, request_hash, status, locked_until, holder)
VALUES ($1, $2, $3, 'in_progress', now() + sqlc.arg(lock_for)::interval, sqlc.arg(holder))
ON CONFLICT (api_key_id, key) DO UPDATE
SET locked_until = now() + sqlc.arg(lock_for)::interval, holder = EXCLUDED.holder
WHERE idempotency_keys.status = 'in_progress'
  AND idempotency_keys.locked_until < now()
  AND idempotency_keys.request_hash = EXCLUDED.request_hash
RETURNING status;

-- name: RenewIdempotencyLeases :execrows
-- One API process extends the leases of every claim it still holds, in one
-- statement per tick however many requests are in flight. Holders are random
-- per request, so they name the claims; one taken over (its lease ran out
-- first) has another holder and is left alone, as is a finished one.
UPDATE idempotency_keys
SET locked_until = now() + sqlc.arg(lock_for)::interval
WHERE holder = ANY (sqlc.arg(holders)::text[]) AND status = 'in_progress';

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE api_key_id = $1 AND key = $2;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys
SET status = 'done', response_status = $3, response_body = $4
WHERE api_key_id = $1 AND key = $2 AND holder = sqlc.arg(holder) AND status = 'in_progress';

-- name: ReleaseIdempotencyKey :exec
-- Frees a claim whose answer was not final (202 processing, or an error before any effect).
DELETE FROM idempotency_keys
WHERE api_key_id = $1 AND key = $2 AND holder = sqlc.arg(holder) AND status = 'in_progress';
