-- +goose Up

-- API keys: only a SHA-256 of the key is stored. Keys are 32 random bytes, so a
-- fast hash is enough (no dictionary to attack); the prefix lets ops tell keys apart.
CREATE TABLE api_keys (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('app', 'finance', 'ops')),
    prefix      text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE customers (
    id           text PRIMARY KEY,
    external_id  text NOT NULL UNIQUE,
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A payment method is a reference to what the PG holds (a billing key per PG);
-- paysaga never stores a card number or a full account number.
CREATE TABLE payment_methods (
    id             text PRIMARY KEY,
    customer_id    text NOT NULL REFERENCES customers (id),
    kind           text NOT NULL CHECK (kind IN ('card', 'bank_account')),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
    card_brand     text,
    card_type      text CHECK (card_type IN ('credit', 'check')),
    card_last4     text,
    bank_code      text,
    account_last4  text,
    holder_name    text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE INDEX payment_methods_customer_idx ON payment_methods (customer_id) WHERE status = 'active';

CREATE TABLE payment_method_billing_keys (
    method_id    text NOT NULL REFERENCES payment_methods (id),
    pg           text NOT NULL,
    billing_key  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method_id, pg)
);

CREATE TABLE payments (
    id               text PRIMARY KEY,
    order_id         text NOT NULL UNIQUE,
    customer_id      text NOT NULL REFERENCES customers (id),
    method_id        text NOT NULL REFERENCES payment_methods (id),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount           bigint NOT NULL CHECK (amount > 0),
    fee_amount       bigint NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
    status           text NOT NULL CHECK (status IN ('processing', 'authorized', 'succeeded', 'failed', 'canceled', 'partially_refunded', 'refunded')),
    pg               text,
    pg_payment_key   text,
    captured_amount  bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= amount),
    refunded_amount  bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
    failure_code     text,
    failure_message  text,
    workflow_id      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_customer_idx ON payments (customer_id, created_at DESC);

-- One line per producer in the order; fee is fixed at checkout.
CREATE TABLE payment_items (
    payment_id   text NOT NULL REFERENCES payments (id),
    producer_id  text NOT NULL,
    amount       bigint NOT NULL CHECK (amount > 0),
    fee          bigint NOT NULL CHECK (fee >= 0 AND fee <= amount),
    PRIMARY KEY (payment_id, producer_id)
);

-- The step timeline shown by GET /v1/payments/{id}. A step is recorded once:
-- an activity retry that records it again changes nothing.
CREATE TABLE payment_events (
    id          bigserial PRIMARY KEY,
    payment_id  text NOT NULL REFERENCES payments (id),
    step        text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_id, step)
);

CREATE TABLE refunds (
    id               text PRIMARY KEY,
    payment_id       text NOT NULL REFERENCES payments (id),
    amount           bigint NOT NULL CHECK (amount > 0),
    reason           text NOT NULL DEFAULT '',
    kind             text NOT NULL CHECK (kind IN ('cancel', 'partial')),
    -- The payment's refunded total before this refund: each refund owns the slice
    -- [refunded_before, refunded_before + amount), which makes proportional ledger
    -- reversals exact however refunds interleave.
    refunded_before  bigint NOT NULL CHECK (refunded_before >= 0),
    status           text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
    failure_code     text,
    failure_message  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

-- HTTP Idempotency-Key records (per API key). A row in 'in_progress' whose lock
-- has expired may be taken over: the workflow start behind it is itself idempotent.
CREATE TABLE idempotency_keys (
    api_key_id       text NOT NULL,
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    status           text NOT NULL CHECK (status IN ('in_progress', 'done')),
    response_status  integer,
    response_body    bytea,
    locked_until     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);

-- Double-entry ledger. Postings are signed: debit > 0, credit < 0. Every journal
-- transaction sums to zero per currency (checked at commit by a constraint trigger),
-- carries a unique idempotency key, and is never updated or deleted.
CREATE TABLE journal_transactions (
    id               bigserial PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    kind             text NOT NULL,
    payment_id       text,
    description      text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_transactions_payment_idx ON journal_transactions (payment_id);

CREATE TABLE journal_postings (
    id              bigserial PRIMARY KEY,
    transaction_id  bigint NOT NULL REFERENCES journal_transactions (id),
    account         text NOT NULL CHECK (account ~ '^[a-z_]+(:[A-Za-z0-9_.-]+)+$'),
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount          bigint NOT NULL CHECK (amount <> 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_postings_transaction_idx ON journal_postings (transaction_id);
CREATE INDEX journal_postings_account_idx ON journal_postings (account, currency);

-- +goose StatementBegin
CREATE FUNCTION journal_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n_postings  integer;
    unbalanced  text;
BEGIN
    SELECT count(*) INTO n_postings
      FROM journal_postings WHERE transaction_id = NEW.transaction_id;
    IF n_postings < 2 THEN
        RAISE EXCEPTION 'journal transaction % has % posting(s); at least 2 required',
            NEW.transaction_id, n_postings USING ERRCODE = 'check_violation';
    END IF;
    SELECT currency INTO unbalanced
      FROM journal_postings WHERE transaction_id = NEW.transaction_id
     GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'journal transaction % does not sum to zero in %',
            NEW.transaction_id, unbalanced USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER journal_postings_balanced
    AFTER INSERT ON journal_postings
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_check_balanced();

-- A transaction with no postings at all is caught here (the postings trigger never fires).
-- +goose StatementBegin
CREATE FUNCTION journal_check_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM journal_postings WHERE transaction_id = NEW.id) THEN
        RAISE EXCEPTION 'journal transaction % has no postings', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER journal_transactions_have_postings
    AFTER INSERT ON journal_transactions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_check_has_postings();

-- +goose StatementBegin
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER journal_transactions_append_only
    BEFORE UPDATE OR DELETE ON journal_transactions
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_postings_append_only
    BEFORE UPDATE OR DELETE ON journal_postings
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_transactions_no_truncate
    BEFORE TRUNCATE ON journal_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_postings_no_truncate
    BEFORE TRUNCATE ON journal_postings
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();

-- +goose Down
DROP TABLE journal_postings;
DROP TABLE journal_transactions;
DROP FUNCTION journal_check_balanced;
DROP FUNCTION journal_check_has_postings;
DROP FUNCTION journal_append_only;
DROP TABLE idempotency_keys;
DROP TABLE refunds;
DROP TABLE payment_events;
DROP TABLE payment_items;
DROP TABLE payments;
DROP TABLE payment_method_billing_keys;
DROP TABLE payment_methods;
DROP TABLE customers;
DROP TABLE api_keys;
