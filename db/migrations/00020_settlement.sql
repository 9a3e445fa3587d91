-- +goose Up

-- Marketplace settlement (issue 13): a sale is pending for its producer until the
-- buyer confirms the purchase (구매확정) or it auto-confirms some days after
-- delivery; then it is payable, less commission and the commission's VAT, due to
-- be paid by due_at (the statutory window).
--
-- settles_on_confirm marks payments whose capture booked producer:{id}:pending
-- (every payment captured after this migration); older payments booked payable
-- at capture and keep settling the old way.
ALTER TABLE payments ADD COLUMN settles_on_confirm boolean NOT NULL DEFAULT false;

ALTER TABLE payment_items
    ADD COLUMN delivered_at       timestamptz,
    ADD COLUMN confirmed_at       timestamptz,
    ADD COLUMN confirmed_by       text CHECK (confirmed_by IN ('buyer', 'auto')),
    ADD COLUMN due_at             timestamptz,
    -- What confirmation booked (0 until then, and 0 when refunded in full before).
    ADD COLUMN commission         bigint NOT NULL DEFAULT 0 CHECK (commission >= 0),
    ADD COLUMN commission_vat     bigint NOT NULL DEFAULT 0 CHECK (commission_vat >= 0),
    ADD COLUMN confirmed_net      bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT payment_items_confirm_after_delivery
        CHECK (confirmed_at IS NULL OR delivered_at IS NULL OR confirmed_at >= delivered_at),
    ADD CONSTRAINT payment_items_confirmed_complete
        CHECK ((confirmed_at IS NULL) = (due_at IS NULL) AND (confirmed_at IS NULL) = (confirmed_by IS NULL));

-- One row per producer and booking that changes what it is owed once confirmed:
-- a confirmed sale (kind sale) or a refund after confirmation (kind refund, all
-- figures negative). Written in the same transaction as its journal (same key),
-- so it always agrees with the ledger; it is what statements, the commission
-- tax-invoice export and the deadline check read. A settlement run links the
-- entries it pays (payout_id); entries of a period that netted negative stay
-- unlinked and are carried into the next settlement.
CREATE TABLE settlement_entries (
    id              bigserial PRIMARY KEY,
    journal_key     text NOT NULL,
    producer_id     text NOT NULL,
    payment_id      text NOT NULL REFERENCES payments (id),
    kind            text NOT NULL CHECK (kind IN ('sale', 'refund')),
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    gross           bigint NOT NULL,
    commission      bigint NOT NULL,
    commission_vat  bigint NOT NULL,
    net             bigint NOT NULL CHECK (net = gross - commission - commission_vat),
    confirmed_at    timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    booked_at       timestamptz NOT NULL DEFAULT now(),
    payout_id       text REFERENCES payouts (id),
    UNIQUE (journal_key, producer_id),
    CHECK ((kind = 'sale' AND gross >= 0 AND commission >= 0 AND commission_vat >= 0)
        OR (kind = 'refund' AND gross <= 0 AND commission <= 0 AND commission_vat <= 0))
);
CREATE INDEX settlement_entries_unsettled_idx ON settlement_entries (producer_id, booked_at) WHERE payout_id IS NULL;
CREATE INDEX settlement_entries_payout_idx ON settlement_entries (payout_id);
CREATE INDEX settlement_entries_due_idx ON settlement_entries (due_at) WHERE payout_id IS NULL;

-- A period in which a producer netted negative (refunds after confirmation
-- exceeding its new sales): it is paid nothing and the balance carries over,
-- never debited from its bank account. Recorded so the statements show it.
CREATE TABLE settlement_carryovers (
    id           text PRIMARY KEY,
    producer_id  text NOT NULL REFERENCES producers (id),
    period       text NOT NULL,
    run_id       text NOT NULL REFERENCES payout_runs (id),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount       bigint NOT NULL CHECK (amount < 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (producer_id, period)
);

-- One row per daily settlement deadline check (its workflow id): what it found.
-- The latest is exported as the paysaga_settlement_deadline metric.
CREATE TABLE settlement_deadline_checks (
    id              text PRIMARY KEY,
    checked_at      timestamptz NOT NULL,
    at_risk         bigint NOT NULL CHECK (at_risk >= 0),
    overdue         bigint NOT NULL CHECK (overdue >= 0),
    overdue_amount  bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Onboarding checks: the business registration number (사업자등록번호, 10 digits,
-- checksum verified by the API) and why a producer is held, if it is.
ALTER TABLE producers
    ADD COLUMN business_registration_number text NOT NULL DEFAULT ''
        CHECK (business_registration_number ~ '^([0-9]{10})?$'),
    ADD COLUMN hold_reason text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE producers DROP COLUMN hold_reason, DROP COLUMN business_registration_number;
DROP TABLE settlement_deadline_checks;
DROP TABLE settlement_carryovers;
DROP TABLE settlement_entries;
ALTER TABLE payment_items
    DROP CONSTRAINT payment_items_confirmed_complete,
    DROP CONSTRAINT payment_items_confirm_after_delivery,
    DROP COLUMN confirmed_net, DROP COLUMN commission_vat,
    DROP COLUMN commission, DROP COLUMN due_at, DROP COLUMN confirmed_by,
    DROP COLUMN confirmed_at, DROP COLUMN delivered_at;
ALTER TABLE payments DROP COLUMN settles_on_confirm;
