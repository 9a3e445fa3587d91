-- +goose Up

-- Refunds take back the points earned on the refunded part (issue 15, ADR 0023).
--
-- earn_base is the card amount a bucket's points were a rate of when they
-- were earned (at capture: the card part; at confirmation: the item's share
-- of it net of what was refunded of the item before), so each later refund
-- takes back its exact share. NULL on buckets from before: read as the full
-- card part (of the payment or of the item).
ALTER TABLE points_buckets ADD COLUMN earn_base bigint CHECK (earn_base > 0);

-- What one refund took back of one earning (a bucket's source_key), decided
-- before the PG is asked for the money, under the customer's row lock:
-- points due = taken from the customer's points (what is left of that
-- earning's bucket) + from_expired (what of it expired: the breakage is
-- reversed, the customer already lost them) + taken again from the
-- customer's other buckets (FIFO; both takes are in taken) + shortfall (the
-- customer had spent them: the refund's card cash is reduced by it, 1 point
-- = 1 won) + forgiven (beyond what the refund still pays by card: written
-- off, never a debt).
-- restored_at: the PG refused the refund for good, the taken points went back.
CREATE TABLE points_reversals (
    refund_id   text NOT NULL REFERENCES refunds (id),
    source_key  text NOT NULL,
    payment_id  text NOT NULL REFERENCES payments (id),
    customer_id text NOT NULL REFERENCES customers (id),
    currency    text NOT NULL CHECK (length(currency) = 3),
    points      bigint NOT NULL CHECK (points > 0),
    taken       bigint NOT NULL CHECK (taken >= 0),
    from_expired bigint NOT NULL CHECK (from_expired >= 0),
    shortfall   bigint NOT NULL CHECK (shortfall >= 0),
    forgiven    bigint NOT NULL CHECK (forgiven >= 0),
    restored_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (refund_id, source_key),
    CONSTRAINT points_reversals_adds_up CHECK (taken + from_expired + shortfall + forgiven = points)
);

CREATE INDEX points_reversals_source ON points_reversals (source_key);

-- Which buckets a refund's taken points came from, to give them back if the
-- refund fails.
CREATE TABLE points_reversal_takes (
    refund_id text NOT NULL REFERENCES refunds (id),
    bucket_id bigint NOT NULL REFERENCES points_buckets (id),
    points    bigint NOT NULL CHECK (points > 0),
    PRIMARY KEY (refund_id, bucket_id)
);

-- +goose Down
DROP TABLE points_reversal_takes;
DROP TABLE points_reversals;
ALTER TABLE points_buckets DROP COLUMN earn_base;
