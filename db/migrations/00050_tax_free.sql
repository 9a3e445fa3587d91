-- +goose Up
-- The tax-free part (면세) of each item of a payment. The payment's VAT and
-- supply amount, and the tax-free part of each refund, follow from it by the one
-- rule in package tax, so they are computed, not stored.
ALTER TABLE payment_items
    ADD COLUMN tax_free_amount bigint NOT NULL DEFAULT 0
        CHECK (tax_free_amount >= 0 AND tax_free_amount <= amount);

-- +goose Down
ALTER TABLE payment_items DROP COLUMN tax_free_amount;
