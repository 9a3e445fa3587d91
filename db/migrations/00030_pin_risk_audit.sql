-- +goose Up

-- Payment PIN (결제 비밀번호): only an argon2id hash with a per-customer salt.
-- failed_attempts counts wrong tries since the last right one; reaching the
-- limit sets locked_until, and no PIN (not even the right one) is accepted
-- before then.
CREATE TABLE payment_pins (
    customer_id      text PRIMARY KEY REFERENCES customers (id),
    pin_hash         bytea NOT NULL,
    salt             bytea NOT NULL,
    failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Short-lived, single-use proof that the customer just entered the right PIN.
-- A checkout carries the token, never the PIN; only its SHA-256 is stored.
CREATE TABLE pin_tokens (
    token_hash   bytea PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- An identity verification resets a PIN at most once.
CREATE TABLE pin_resets (
    verification_id  text PRIMARY KEY REFERENCES identity_verifications (id),
    customer_id      text NOT NULL REFERENCES customers (id),
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- Devices a customer has paid from. The first device is trusted on first use;
-- a later new device needs a step-up, after which it is known too.
CREATE TABLE customer_devices (
    customer_id  text NOT NULL REFERENCES customers (id),
    device_id    text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, device_id)
);

-- Velocity rules managed by ops: more than threshold payments (kind count) or
-- minor units (kind amount) for one value of dimension within window_seconds
-- -> action. Rules are switched off, never deleted, so the audit log and the
-- payment timelines that name them stay meaningful.
CREATE TABLE risk_rules (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('count', 'amount')),
    dimension       text NOT NULL CHECK (dimension IN ('customer', 'card_fingerprint', 'device', 'ip')),
    window_seconds  integer NOT NULL CHECK (window_seconds > 0 AND window_seconds <= 2592000),
    threshold       bigint NOT NULL CHECK (threshold > 0),
    action          text NOT NULL CHECK (action IN ('block', 'step_up')),
    enabled         boolean NOT NULL DEFAULT true,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Blocklist entries. value is the customer id, the card fingerprint, or the
-- keyed hash of a bank account (bank code + number), never the number itself.
CREATE TABLE risk_blocklist (
    id          text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('customer', 'card_fingerprint', 'bank_account')),
    value       text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    expires_at  timestamptz,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, value)
);

-- One row per evaluated payment: the counters every velocity rule reads. Shared
-- by every replica because it is here, not in a process.
CREATE TABLE risk_attempts (
    payment_id   text PRIMARY KEY,
    customer_id  text NOT NULL,
    fingerprint  text NOT NULL DEFAULT '',
    device_id    text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT '',
    currency     text NOT NULL,
    amount       bigint NOT NULL CHECK (amount > 0),
    decision     text NOT NULL CHECK (decision IN ('allow', 'block')),
    rule         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX risk_attempts_customer_idx ON risk_attempts (customer_id, created_at);
CREATE INDEX risk_attempts_fingerprint_idx ON risk_attempts (fingerprint, created_at) WHERE fingerprint <> '';
CREATE INDEX risk_attempts_device_idx ON risk_attempts (device_id, created_at) WHERE device_id <> '';
CREATE INDEX risk_attempts_ip_idx ON risk_attempts (ip, created_at) WHERE ip <> '';

-- Four-eyes: each finance key's approval of a payout, once per key.
CREATE TABLE payout_approvals (
    payout_id   text NOT NULL REFERENCES payouts (id),
    api_key_id  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (payout_id, api_key_id)
);

-- Who did what: written in the same transaction as the change it records.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    actor_key   text NOT NULL,
    actor_role  text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    object      text NOT NULL,
    before      jsonb,
    after       jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_object_idx ON audit_log (object, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE payout_approvals;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE risk_attempts;
DROP TABLE risk_blocklist;
DROP TABLE risk_rules;
DROP TABLE customer_devices;
DROP TABLE pin_resets;
DROP TABLE pin_tokens;
DROP TABLE payment_pins;
