-- +goose Up

-- Wallet balance refunds (잔액 환불, issue 15 part B): the customer's wallet
-- balance (or part of it) is sent to their registered bank account. The amount
-- leaves the wallet when the refund is reserved (journal
-- wallet-refund:{id}:reserve, into wallet_refunds:transit) so it cannot be
-- spent meanwhile; the bank transfer of amount - fee completes it, a failure
-- gives it back (wallet-refund:{id}:release).
CREATE TABLE wallet_refunds (
    id                  text PRIMARY KEY,
    customer_id         text NOT NULL REFERENCES customers (id),
    method_id           text NOT NULL REFERENCES payment_methods (id),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount              bigint NOT NULL CHECK (amount > 0),
    fee                 bigint NOT NULL CHECK (fee >= 0 AND fee < amount),
    status              text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
    bank_transaction_id text,
    failure_code        text,
    failure_message     text,
    workflow_id         text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_refunds_customer_idx ON wallet_refunds (customer_id, created_at);

-- +goose Down
DROP TABLE wallet_refunds;
