-- +goose Up

-- Reads for the console's lists and queues.
-- GET /v1/payout-runs: runs newest first.
CREATE INDEX payout_runs_created_idx ON payout_runs (created_at DESC, id DESC);
-- GET /v1/payments?step=compensation_failed: payments by a timeline step.
CREATE INDEX payment_events_step_idx ON payment_events (step, payment_id);
-- GET /v1/wallet-topups/stuck: top-ups left processing.
CREATE INDEX wallet_topups_processing_idx ON wallet_topups (created_at) WHERE status = 'processing';

-- +goose Down
DROP INDEX wallet_topups_processing_idx;
DROP INDEX payment_events_step_idx;
DROP INDEX payout_runs_created_idx;
