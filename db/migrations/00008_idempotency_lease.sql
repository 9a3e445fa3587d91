-- +goose Up

-- Who holds an in-progress Idempotency-Key claim: a token of one request in one
-- API process, which renews locked_until (a short lease) while the request runs.
-- When the process dies the renewals stop and a retry takes the key over within
-- the lease instead of waiting out a long lock; only the holder may renew,
-- complete or release the claim.
ALTER TABLE idempotency_keys ADD COLUMN holder text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN holder;
