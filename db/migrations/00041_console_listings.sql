-- +goose Up

-- Reads for the console's lists and queues.
-- GET /v1/payout-runs: runs newest first.
CREATE INDEX payout_runs_created_idx ON payout_runs (created_at DESC, id DESC);
-- GET /v1/payments?step=compensation_failed: payments by a timeline step.
CREATE INDEX payment_events_step_idx ON payment_events (step, payment_id);

-- +goose Down
DROP INDEX payment_events_step_idx;
DROP INDEX payout_runs_created_idx;
