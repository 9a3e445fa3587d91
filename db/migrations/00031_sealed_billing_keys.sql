-- +goose Up
-- Billing keys are sealed (AES-GCM, package pii) like account numbers: with the
-- merchant's PG secret key a billing key charges the customer, so a database
-- dump must not be enough. Rows written before this migration keep their clear
-- billing_key until paysaga seals them (activities.SealBillingKeys at worker
-- start); a row holds one form or the other.
ALTER TABLE payment_method_billing_keys
    ADD COLUMN billing_key_sealed bytea,
    ALTER COLUMN billing_key DROP NOT NULL,
    ADD CONSTRAINT billing_key_one_form CHECK ((billing_key IS NULL) <> (billing_key_sealed IS NULL));

-- +goose Down
ALTER TABLE payment_method_billing_keys DROP CONSTRAINT billing_key_one_form;
DELETE FROM payment_method_billing_keys WHERE billing_key IS NULL;
ALTER TABLE payment_method_billing_keys ALTER COLUMN billing_key SET NOT NULL, DROP COLUMN billing_key_sealed;
