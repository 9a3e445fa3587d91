-- +goose Up

-- GET /v1/payout-runs lists runs newest first (the console's payout-run list).
CREATE INDEX payout_runs_created_idx ON payout_runs (created_at DESC, id DESC);

-- +goose Down
DROP INDEX payout_runs_created_idx;
