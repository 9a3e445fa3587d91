-- +goose Up

-- Transactional outbox: an event is inserted in the same transaction as the
-- state change it announces (payment succeeded, top-up credited, payout paid...),
-- so a committed change always has its event and a rolled-back one never does.
-- The key (e.g. payment:{id}:succeeded) makes an activity retry insert it once.
-- The relay starts one delivery workflow per event and stamps dispatched_at.
CREATE TABLE events (
    id             text PRIMARY KEY,
    type           text NOT NULL,
    key            text NOT NULL UNIQUE,
    subject_id     text NOT NULL,
    data           jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    dispatched_at  timestamptz
);
CREATE INDEX events_undispatched_idx ON events (created_at) WHERE dispatched_at IS NULL;
CREATE INDEX events_subject_idx ON events (subject_id);

-- The app's endpoints. The signing secret must be usable to sign, so it is
-- sealed (pii package, AES-GCM), never stored in clear; during a rotation the
-- previous secret keeps signing too until previous_expires_at.
CREATE TABLE webhook_endpoints (
    id                    text PRIMARY KEY,
    url                   text NOT NULL,
    event_types           text[] NOT NULL DEFAULT '{}', -- empty: every type
    secret_sealed         bytea NOT NULL,
    previous_secret_sealed bytea,
    previous_expires_at   timestamptz,
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    deleted_at            timestamptz
);

-- One delivery per event and endpoint (fixed when the event is dispatched).
CREATE TABLE event_deliveries (
    event_id      text NOT NULL REFERENCES events (id),
    endpoint_id   text NOT NULL REFERENCES webhook_endpoints (id),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'canceled')),
    attempts      integer NOT NULL DEFAULT 0,
    delivered_at  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, endpoint_id)
);

-- Every HTTP attempt, for GET /v1/events/{id}/attempts.
CREATE TABLE event_delivery_attempts (
    id           bigserial PRIMARY KEY,
    event_id     text NOT NULL REFERENCES events (id),
    endpoint_id  text NOT NULL REFERENCES webhook_endpoints (id),
    attempt      integer NOT NULL CHECK (attempt > 0),
    status_code  integer NOT NULL DEFAULT 0, -- 0: no HTTP answer
    error        text NOT NULL DEFAULT '',
    duration_ms  integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, endpoint_id, attempt)
);

-- Provider webhooks as received (verified ones only), deduplicated by the
-- provider's event id. One whose payment we do not know yet stays here
-- (status unmatched) instead of being lost.
CREATE TABLE webhook_inbox (
    id           bigserial PRIMARY KEY,
    provider     text NOT NULL,
    event_id     text NOT NULL,
    event_type   text NOT NULL,
    payment_key  text NOT NULL DEFAULT '',
    payload      jsonb NOT NULL,
    status       text NOT NULL CHECK (status IN ('delivered', 'unmatched')),
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, event_id)
);

-- Daily reconciliation (정산대사): each run compares the PGs' settlement
-- reports for one day (Korea time) with the ledger's PG receivable postings.
CREATE TABLE recon_runs (
    id            text PRIMARY KEY, -- the workflow id
    date          date NOT NULL,
    status        text NOT NULL CHECK (status IN ('running', 'completed')),
    pg_items      integer NOT NULL DEFAULT 0,
    ledger_items  integer NOT NULL DEFAULT 0,
    mismatches    integer NOT NULL DEFAULT 0,
    started_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);
CREATE INDEX recon_runs_date_idx ON recon_runs (date, started_at);

CREATE TABLE recon_findings (
    id             bigserial PRIMARY KEY,
    run_id         text NOT NULL REFERENCES recon_runs (id),
    pg             text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('missing_in_ledger', 'missing_at_pg', 'amount_mismatch', 'fee_mismatch')),
    item_type      text NOT NULL CHECK (item_type IN ('capture', 'refund')),
    payment_id     text NOT NULL DEFAULT '', -- empty when the ledger knows no payment with this key
    payment_key    text NOT NULL,
    ledger_amount  bigint NOT NULL DEFAULT 0,
    pg_amount      bigint NOT NULL DEFAULT 0,
    expected_fee   bigint NOT NULL DEFAULT 0,
    pg_fee         bigint NOT NULL DEFAULT 0,
    UNIQUE (run_id, pg, payment_key, item_type, kind)
);

-- +goose Down
DROP TABLE recon_findings;
DROP TABLE recon_runs;
DROP TABLE webhook_inbox;
DROP TABLE event_delivery_attempts;
DROP TABLE event_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE events;
