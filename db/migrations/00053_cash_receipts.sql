-- +goose Up
-- Cash receipts (현금영수증, issue 14): one per payment or wallet top-up whose
-- cash part needs one (a bank-account payment; a wallet part when receipts are
-- issued at spend; a top-up when they are issued at top-up). The row is written
-- in the checkout (or top-up) before it succeeds, so the receipt is owed
-- durably; the CashReceipt workflow issues it at the PG and follows it to the
-- NTS's registration. Cancels (one per refund) are their own rows, planned in
-- the refund's workflow with the tax-free share by the rule in package tax.
CREATE TABLE cash_receipts (
    id                  text PRIMARY KEY, -- the payment's or the top-up's id; the PG's orderId
    payment_id          text UNIQUE REFERENCES payments (id),
    topup_id            text UNIQUE REFERENCES wallet_topups (id),
    customer_id         text NOT NULL REFERENCES customers (id),
    -- Which of a payment's tenders it stands for: the bank-account part, the
    -- wallet part, or both (a top-up: neither).
    covers_method       boolean NOT NULL,
    covers_wallet       boolean NOT NULL,
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount              bigint NOT NULL CHECK (amount > 0),
    tax_free            bigint NOT NULL CHECK (tax_free >= 0 AND tax_free <= amount),
    cancelled_amount    bigint NOT NULL DEFAULT 0 CHECK (cancelled_amount >= 0 AND cancelled_amount <= amount),
    cancelled_tax_free  bigint NOT NULL DEFAULT 0 CHECK (cancelled_tax_free >= 0 AND cancelled_tax_free <= tax_free),
    -- pending: owed, not yet issued; issued: at the PG, awaiting the NTS;
    -- registered: the NTS has it; failed: the PG refused it for good (ops);
    -- canceled: all of it cancelled.
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'issued', 'registered', 'failed', 'canceled')),
    receipt_type        text CHECK (receipt_type IN ('income_deduction', 'proof')),
    identity_last4      text CHECK (identity_last4 ~ '^[0-9]{4}$'),
    self_issued         boolean NOT NULL DEFAULT false,
    pg                  text,  -- the connector chosen at the first attempt; kept for every retry and cancel
    request_date        text,  -- YYYY-MM-DD (Korea) of the first attempt: the PG's look-up key
    receipt_key         text,
    issue_number        text,
    receipt_url         text,
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text,
    issued_at           timestamptz,
    registered_at       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cash_receipts_one_subject CHECK ((payment_id IS NULL) <> (topup_id IS NULL)),
    CONSTRAINT cash_receipts_subject_is_id CHECK (id = coalesce(payment_id, topup_id)),
    CONSTRAINT cash_receipts_key_once_issued CHECK (status IN ('pending', 'failed') OR receipt_key IS NOT NULL)
);
CREATE INDEX cash_receipts_open_idx ON cash_receipts (status) WHERE status IN ('pending', 'issued', 'failed');

-- One cancel per refund that gives back receipted money: the slice
-- [cancelled_before, cancelled_before + amount) of the receipt, whose tax-free
-- part is the cumulative floor of the receipt's (tax.SliceTaxFree).
CREATE TABLE cash_receipt_cancels (
    refund_id         text PRIMARY KEY REFERENCES refunds (id),
    receipt_id        text NOT NULL REFERENCES cash_receipts (id),
    amount            bigint NOT NULL CHECK (amount > 0),
    tax_free          bigint NOT NULL CHECK (tax_free >= 0 AND tax_free <= amount),
    cancelled_before  bigint NOT NULL CHECK (cancelled_before >= 0),
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    done_at           timestamptz
);
CREATE INDEX cash_receipt_cancels_receipt_idx ON cash_receipt_cancels (receipt_id);

-- +goose Down
DROP TABLE cash_receipt_cancels;
DROP TABLE cash_receipts;
