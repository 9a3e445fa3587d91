-- +goose Up

-- Membership billing (issue 15, part B). Plans are rows finance maintains
-- (price per monthly period, the tier it grants); a membership charges its
-- plan's price, copied when it is created, once per period through a Temporal
-- Schedule (membership:{id}).
CREATE TABLE membership_plans (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    tier       text NOT NULL,
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    price      bigint NOT NULL CHECK (price > 0),
    period     text NOT NULL DEFAULT 'monthly' CHECK (period = 'monthly'),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO membership_plans (id, name, tier, currency, price) VALUES
    ('basic', 'Basic', 'silver', 'KRW', 4900),
    ('plus', 'Plus', 'gold', 'KRW', 9900);

-- status: active (charges every period), past_due (a charge is being dunned),
-- paused (the schedule is paused: no charge), suspended (dunning gave up),
-- canceled (the schedule is deleted; benefits last until ends_at, the end of
-- the last paid period: no proration, docs/adr/0020).
-- Part A reads customer_id, tier and status for benefit multipliers.
CREATE TABLE memberships (
    id          text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    plan_id     text NOT NULL REFERENCES membership_plans (id),
    tier        text NOT NULL,
    method_id   text NOT NULL REFERENCES payment_methods (id),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    price       bigint NOT NULL CHECK (price > 0),
    status      text NOT NULL CHECK (status IN ('active', 'past_due', 'paused', 'suspended', 'canceled')),
    anchor_day  int NOT NULL CHECK (anchor_day BETWEEN 1 AND 28),
    schedule_id text NOT NULL UNIQUE,
    paid_until  timestamptz,
    ends_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- One live membership per customer.
CREATE UNIQUE INDEX memberships_one_live_idx ON memberships (customer_id) WHERE status <> 'canceled';

-- One row per membership and period (202612): the period is charged once.
-- status: processing (attempts under way or waiting for the next dunning
-- day), succeeded (payment_id paid it), failed (dunning gave up, or the
-- membership was canceled or paused meanwhile), skipped (not chargeable when
-- the period began: paused, suspended or canceled).
CREATE TABLE membership_charges (
    membership_id text NOT NULL REFERENCES memberships (id),
    period        text NOT NULL CHECK (period ~ '^[0-9]{6}$'),
    currency      text NOT NULL,
    amount        bigint NOT NULL CHECK (amount > 0),
    status        text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed', 'skipped')),
    attempts      int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    payment_id    text REFERENCES payments (id),
    failure_code  text,
    workflow_id   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (membership_id, period),
    CHECK ((status = 'succeeded') = (payment_id IS NOT NULL))
);

-- +goose Down
DROP TABLE membership_charges;
DROP TABLE memberships;
DROP TABLE membership_plans;
