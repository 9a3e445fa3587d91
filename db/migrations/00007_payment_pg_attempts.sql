-- +goose Up
-- Which PGs a payment's authorization was sent to, recorded before each call.
-- A workflow task that is retried after a crash runs its local activities again
-- from the start and may pick another route (an outage began or ended): these
-- rows make the retry follow what the first run did, so a payment is never
-- authorized at two PGs. status: sent (may have taken effect) or not_processed
-- (the PG answered that it did not process it).
CREATE TABLE payment_pg_attempts (
    payment_id  text NOT NULL REFERENCES payments (id),
    pg          text NOT NULL,
    status      text NOT NULL CHECK (status IN ('sent', 'not_processed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (payment_id, pg)
);

-- +goose Down
DROP TABLE payment_pg_attempts;
