-- +goose Up
-- The per-API-key rate limit as a token bucket per key, shared by every API
-- process (an in-memory limiter per process lets N replicas through N times
-- the rate). tokens is what was left at updated_at; each request refills by
-- the elapsed time and takes one, in one statement under the row lock.
CREATE TABLE api_rate_buckets (
    api_key_id  text PRIMARY KEY,
    tokens      double precision NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE api_rate_buckets;
