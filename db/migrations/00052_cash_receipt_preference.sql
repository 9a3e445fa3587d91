-- +goose Up
-- A customer's cash-receipt preference (현금영수증): income deduction on a phone
-- number, or expense proof on a business registration number. The number is
-- personal data: stored sealed (package pii) with its last four digits for
-- display. No row: the customer gave none, and receipts are issued voluntarily
-- to the NTS self-issue number 010-000-1234.
CREATE TABLE customer_cash_receipt_preferences (
    customer_id      text PRIMARY KEY REFERENCES customers (id),
    receipt_type     text NOT NULL CHECK (receipt_type IN ('income_deduction', 'proof')),
    identity_sealed  bytea NOT NULL,
    identity_last4   text NOT NULL CHECK (identity_last4 ~ '^[0-9]{4}$'),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE customer_cash_receipt_preferences;
