-- +goose Up

-- Points as a checkout tender (issue 15, ADR 0022). points_amount of the
-- payment is paid with the customer's points, wallet_amount from the wallet,
-- the rest by the card or bank account (none: no method).
ALTER TABLE payments
    ADD COLUMN points_amount bigint NOT NULL DEFAULT 0 CHECK (points_amount >= 0),
    ADD CONSTRAINT payments_tenders_within_amount CHECK (wallet_amount + points_amount <= amount),
    DROP CONSTRAINT payments_funded,
    ADD CONSTRAINT payments_funded CHECK (method_id IS NOT NULL OR wallet_amount + points_amount = amount);

-- The points part of a checkout, held like the wallet part (ADR 0005): taken
-- under the customer's row lock against the points balance minus the active
-- holds, released when the checkout fails, captured by the posting that
-- spends the buckets.
CREATE TABLE points_holds (
    payment_id   text PRIMARY KEY REFERENCES payments (id),
    customer_id  text NOT NULL REFERENCES customers (id),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount       bigint NOT NULL CHECK (amount > 0),
    status       text NOT NULL CHECK (status IN ('active', 'captured', 'released')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX points_holds_active_idx ON points_holds (customer_id, currency) WHERE status = 'active';

-- Which bucket gave how much to a payment's points part (FIFO by expiry),
-- written with the points_spend journal: a refund gives the points back to
-- the buckets they came from.
CREATE TABLE points_spends (
    payment_id text NOT NULL REFERENCES payments (id),
    bucket_id  bigint NOT NULL REFERENCES points_buckets (id),
    -- The bucket's place in the spending order (0 = spent first).
    seq        int NOT NULL CHECK (seq >= 0),
    amount     bigint NOT NULL CHECK (amount > 0),
    PRIMARY KEY (payment_id, bucket_id),
    UNIQUE (payment_id, seq)
);

-- What a refund gave back of each spent bucket, and into which bucket: the
-- one it came from, or, when that one has expired since, a new bucket (see
-- ADR 0022), written with the points_refund journal.
CREATE TABLE points_returns (
    refund_id      text NOT NULL REFERENCES refunds (id),
    bucket_id      bigint NOT NULL REFERENCES points_buckets (id),
    into_bucket_id bigint NOT NULL REFERENCES points_buckets (id),
    amount         bigint NOT NULL CHECK (amount > 0),
    PRIMARY KEY (refund_id, bucket_id)
);

-- +goose Down
DROP TABLE points_returns;
DROP TABLE points_spends;
DROP TABLE points_holds;
ALTER TABLE payments
    DROP CONSTRAINT payments_funded,
    DROP CONSTRAINT payments_tenders_within_amount,
    DROP COLUMN points_amount,
    ADD CONSTRAINT payments_funded CHECK (method_id IS NOT NULL OR wallet_amount = amount);
