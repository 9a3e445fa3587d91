-- +goose Up
-- Statements show supply amount, VAT and tax-free per line: each settlement
-- entry keeps its tax-free part (signed like gross); supply and VAT follow from
-- gross and it by the rule in package tax.
ALTER TABLE settlement_entries
    ADD COLUMN tax_free bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT settlement_entries_tax_free_within_gross
        CHECK ((kind = 'sale' AND tax_free >= 0 AND tax_free <= gross)
            OR (kind = 'refund' AND tax_free <= 0 AND tax_free >= gross));

-- +goose Down
ALTER TABLE settlement_entries DROP CONSTRAINT settlement_entries_tax_free_within_gross, DROP COLUMN tax_free;
