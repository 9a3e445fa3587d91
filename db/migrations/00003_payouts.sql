-- +goose Up

-- Producers are paid out to a bank account whose holder was verified at the bank
-- when it was registered and is verified again before every transfer. The id is
-- the producer_id that checkout items carry.
-- The account number is needed in full for each transfer, so it is kept sealed
-- (AES-GCM under PAYSAGA_PII_KEY, package pii), never in clear; last4 is for display.
CREATE TABLE producers (
    id               text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    name             text NOT NULL,
    bank_code        text NOT NULL CHECK (bank_code ~ '^[0-9]{3}$'),
    account_sealed   bytea NOT NULL,
    account_last4    text NOT NULL CHECK (account_last4 ~ '^[0-9]{4}$'),
    holder_name      text NOT NULL,
    fee_bps          bigint NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),
    settlement_days  integer NOT NULL CHECK (settlement_days BETWEEN 0 AND 90),
    payout_hold      boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per payout run workflow (its id is the workflow id).
CREATE TABLE payout_runs (
    id            text PRIMARY KEY,
    schedule_id   text NOT NULL DEFAULT '',
    period        text NOT NULL,
    cutoff        timestamptz NOT NULL,
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status        text NOT NULL CHECK (status IN ('running', 'completed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);

-- A payout is claimed once per producer and period: the UNIQUE key is what makes
-- a second run for the same period (a schedule firing twice, a re-trigger) find
-- nothing left to pay. Its id is also the payout workflow's id.
CREATE TABLE payouts (
    id                   text PRIMARY KEY,
    producer_id          text NOT NULL REFERENCES producers (id),
    period               text NOT NULL,
    run_id               text NOT NULL REFERENCES payout_runs (id),
    currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount               bigint NOT NULL CHECK (amount > 0),
    status               text NOT NULL CHECK (status IN ('pending', 'awaiting_approval', 'paid', 'held', 'failed')),
    reason               text NOT NULL DEFAULT '',
    approved_by          text NOT NULL DEFAULT '',
    bank_transaction_id  text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (producer_id, period)
);
CREATE INDEX payouts_run_idx ON payouts (run_id, status);
CREATE INDEX payouts_in_flight_idx ON payouts (producer_id) WHERE status IN ('pending', 'awaiting_approval');

-- +goose Down
DROP TABLE payouts;
DROP TABLE payout_runs;
DROP TABLE producers;
