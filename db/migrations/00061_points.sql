-- +goose Up

-- Points (issue 15): prepaid value the customer earns on card purchases, owed
-- like the wallet (points:{customer} in the ledger, a liability: balance is
-- minus the raw sum) and segregated in the safeguarding report.
--
-- A bucket is one earning, spent and expired first-in first-out: the ledger
-- says how much is owed, the buckets say which of it expires when. Every
-- change to a customer's buckets posts its journal in the same transaction,
-- under the customer's row lock (ADR 0005), so sum(remaining) always equals
-- the ledger balance (paysaga verify checks it). remaining never goes below
-- zero nor above what was earned: the database refuses it.
CREATE TABLE points_buckets (
    id                 bigserial PRIMARY KEY,
    customer_id        text NOT NULL REFERENCES customers (id),
    currency           text NOT NULL CHECK (length(currency) = 3),
    -- The journal that earned it (payment:{id}:points-earn): one bucket per earning.
    source_key         text NOT NULL UNIQUE,
    payment_id         text REFERENCES payments (id),
    amount             bigint NOT NULL CHECK (amount > 0),
    remaining          bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
    earned_at          timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL CHECK (expires_at > earned_at),
    -- When the customer was told it expires soon (event points.expiring), once.
    expiry_notified_at timestamptz,
    expired_at         timestamptz,
    CONSTRAINT points_buckets_expired_empty CHECK (expired_at IS NULL OR remaining = 0)
);

CREATE INDEX points_buckets_fifo ON points_buckets (customer_id, expires_at, id) WHERE remaining > 0;
CREATE INDEX points_buckets_due ON points_buckets (expires_at) WHERE remaining > 0;

-- +goose Down
DROP TABLE points_buckets;
