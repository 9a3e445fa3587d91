-- +goose Up

-- Card installment plans (할부, issue 15): a card part split into 2..12 monthly
-- payments at the issuer. One row per payment that asked for a plan; a payment
-- without a row was a single payment (일시불). interest_payer merchant marks an
-- interest-free plan (무이자) from finance's config: the merchant pays the
-- interest the issuer charges, which settlement deducts, so finance can find
-- every payment that costs it interest. plan names the config entry applied.
CREATE TABLE payment_installments (
    payment_id     text PRIMARY KEY REFERENCES payments (id),
    months         integer NOT NULL CHECK (months BETWEEN 2 AND 12),
    interest_payer text NOT NULL CHECK (interest_payer IN ('customer', 'merchant')),
    plan           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_installments_plan_when_merchant
        CHECK ((interest_payer = 'merchant') = (plan IS NOT NULL))
);

-- +goose Down
DROP TABLE payment_installments;
