-- +goose Up

-- Identity verification (본인인증). The provider's CI/DI are kept only as keyed
-- hashes (HMAC-SHA256 under PAYSAGA_PII_KEY, hex): never in plain text.
ALTER TABLE customers
    ADD COLUMN ci_hash              text,
    ADD COLUMN di_hash              text,
    ADD COLUMN identity_verified_at timestamptz;

-- One row per attempt to verify a customer; id = workflow id idv-{customer}-{seq}.
CREATE TABLE identity_verifications (
    id                   text PRIMARY KEY,
    customer_id          text NOT NULL REFERENCES customers (id),
    seq                  integer NOT NULL CHECK (seq > 0),
    status               text NOT NULL CHECK (status IN ('pending', 'verified', 'failed', 'expired')),
    attempts             integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts         integer NOT NULL CHECK (max_attempts > 0),
    provider_request_id  text,
    failure_code         text,
    expires_at           timestamptz NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, seq)
);

-- What a bank debit (출금이체) needs and the PG's billing key does not give us:
-- the account number, sealed with AES-GCM (see package pii).
CREATE TABLE bank_debit_accounts (
    method_id              text PRIMARY KEY REFERENCES payment_methods (id),
    bank_code              text NOT NULL,
    account_number_sealed  bytea NOT NULL,
    holder_name            text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now()
);

-- Wallet top-ups (선불충전). A processing top-up counts against the balance cap
-- and the daily limit from the moment it is reserved, so concurrent top-ups
-- cannot together pass them (the reservation locks the customer row).
CREATE TABLE wallet_topups (
    id                   text PRIMARY KEY,
    customer_id          text NOT NULL REFERENCES customers (id),
    method_id            text NOT NULL REFERENCES payment_methods (id),
    currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount               bigint NOT NULL CHECK (amount > 0),
    status               text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed', 'reversed')),
    bank_transaction_id  text,
    failure_code         text,
    failure_message      text,
    workflow_id          text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_topups_customer_idx ON wallet_topups (customer_id, created_at);

-- Checkout with the wallet: wallet_amount of the payment comes from the wallet,
-- the rest from the card or bank account (none: no method).
ALTER TABLE payments
    ALTER COLUMN method_id DROP NOT NULL,
    ADD COLUMN wallet_amount bigint NOT NULL DEFAULT 0 CHECK (wallet_amount >= 0 AND wallet_amount <= amount),
    ADD CONSTRAINT payments_funded CHECK (method_id IS NOT NULL OR wallet_amount = amount);

-- The wallet part of a checkout, held until the payment is captured (then
-- posted to the ledger in the same transaction) or fails (released). A hold is
-- taken under the customer's row lock against the balance minus the active
-- holds, so the balance can never go negative.
CREATE TABLE wallet_holds (
    payment_id   text PRIMARY KEY REFERENCES payments (id),
    customer_id  text NOT NULL REFERENCES customers (id),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount       bigint NOT NULL CHECK (amount > 0),
    status       text NOT NULL CHECK (status IN ('active', 'captured', 'released')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_holds_active_idx ON wallet_holds (customer_id) WHERE status = 'active';

-- +goose Down
DROP TABLE wallet_holds;
ALTER TABLE payments DROP CONSTRAINT payments_funded, DROP COLUMN wallet_amount;
DROP TABLE wallet_topups;
DROP TABLE bank_debit_accounts;
DROP TABLE identity_verifications;
ALTER TABLE customers DROP COLUMN identity_verified_at, DROP COLUMN di_hash, DROP COLUMN ci_hash;
