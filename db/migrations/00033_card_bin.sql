-- +goose Up
-- A card's BIN (first 6-8 digits, as the PG shows them masked; package
-- cardbin) for the bin blocklist and BIN-based rules. '' when the PG showed
-- none, or for methods registered before this migration.
ALTER TABLE payment_methods ADD COLUMN card_bin text NOT NULL DEFAULT ''
    CHECK (card_bin ~ '^([0-9]{6,8})?$');
-- A bin entry's value is a 6..8-digit prefix matched against card_bin.
ALTER TABLE risk_blocklist DROP CONSTRAINT risk_blocklist_kind_check,
    ADD CONSTRAINT risk_blocklist_kind_check CHECK (kind IN ('customer', 'card_fingerprint', 'bank_account', 'bin')),
    ADD CONSTRAINT risk_blocklist_bin_value CHECK (kind <> 'bin' OR value ~ '^[0-9]{6,8}$');

-- +goose Down
DELETE FROM risk_blocklist WHERE kind = 'bin';
ALTER TABLE risk_blocklist DROP CONSTRAINT risk_blocklist_bin_value, DROP CONSTRAINT risk_blocklist_kind_check,
    ADD CONSTRAINT risk_blocklist_kind_check CHECK (kind IN ('customer', 'card_fingerprint', 'bank_account'));
ALTER TABLE payment_methods DROP COLUMN card_bin;
