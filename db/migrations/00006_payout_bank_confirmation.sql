-- +goose Up
-- When the bank's own record confirms a payout's transfer (its unsigned webhook,
-- checked by querying the bank). NULL until then; set once.
ALTER TABLE payouts ADD COLUMN bank_confirmed_at timestamptz;

-- +goose Down
ALTER TABLE payouts DROP COLUMN bank_confirmed_at;
