-- +goose Up

-- Who holds an in-progress Idempotency-Key claim: a token of one request in one
-- API process, which renews locked_until (a short lease) while the request runs.
-- When the process dies the renewals stop and a retry takes the key over within
-- the lease instead of waiting out a long lock; only the holder may renew,
-- complete or release the claim.
ALTER TABLE idempotency_keys ADD COLUMN holder text NOT NULL DEFAULT '';
-- Each API process renews its in-flight claims by holder once per tick.
CREATE INDEX idempotency_keys_holder_idx ON idempotency_keys (holder) WHERE status = 'in_progress';

-- +goose Down
DROP INDEX idempotency_keys_holder_idx;
ALTER TABLE idempotency_keys DROP COLUMN holder;
