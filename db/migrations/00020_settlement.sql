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
    -- The payout that settled this confirmed sale; NULL until a run claims it.
    ADD COLUMN payout_id          text REFERENCES payouts (id),
    ADD CONSTRAINT payment_items_confirm_after_delivery
        CHECK (confirmed_at IS NULL OR delivered_at IS NULL OR confirmed_at >= delivered_at),
    ADD CONSTRAINT payment_items_confirmed_complete
        CHECK ((confirmed_at IS NULL) = (due_at IS NULL) AND (confirmed_at IS NULL) = (confirmed_by IS NULL));
-- The deadline check and the runs look for confirmed sales not yet settled.
CREATE INDEX payment_items_unsettled_idx ON payment_items (producer_id, due_at)
    WHERE confirmed_at IS NOT NULL AND payout_id IS NULL;

-- Onboarding checks: the business registration number (사업자등록번호, 10 digits,
-- checksum verified by the API) and why a producer is held, if it is.
ALTER TABLE producers
    ADD COLUMN business_registration_number text NOT NULL DEFAULT ''
        CHECK (business_registration_number ~ '^([0-9]{10})?$'),
    ADD COLUMN hold_reason text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE producers DROP COLUMN hold_reason, DROP COLUMN business_registration_number;
DROP INDEX payment_items_unsettled_idx;
ALTER TABLE payment_items
    DROP CONSTRAINT payment_items_confirmed_complete,
    DROP CONSTRAINT payment_items_confirm_after_delivery,
    DROP COLUMN payout_id, DROP COLUMN confirmed_net, DROP COLUMN commission_vat,
    DROP COLUMN commission, DROP COLUMN due_at, DROP COLUMN confirmed_by,
    DROP COLUMN confirmed_at, DROP COLUMN delivered_at;
ALTER TABLE payments DROP COLUMN settles_on_confirm;
