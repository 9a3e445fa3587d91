-- name: TakeRateToken :one
-- Refills the key's bucket for the time since it was last taken from (rate
-- tokens a second, at most burst) and takes one token; no row when the bucket
-- has less than one (the request is refused, the bucket left as it was).
-- clock_timestamp(), not now(): requests queued on the row lock each see
-- their own time.
INSERT INTO api_rate_buckets AS b (api_key_id, tokens, updated_at)
VALUES (sqlc.arg(api_key_id), sqlc.arg(burst)::float8 - 1, clock_timestamp())
ON CONFLICT (api_key_id) DO UPDATE
SET tokens = LEAST(sqlc.arg(burst)::float8,
                   b.tokens + GREATEST(0, EXTRACT(epoch FROM clock_timestamp() - b.updated_at)::float8) * sqlc.arg(rate)::float8) - 1,
    updated_at = clock_timestamp()
WHERE LEAST(sqlc.arg(burst)::float8,
            b.tokens + GREATEST(0, EXTRACT(epoch FROM clock_timestamp() - b.updated_at)::float8) * sqlc.arg(rate)::float8) >= 1
RETURNING tokens;
