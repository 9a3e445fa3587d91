-- +goose Up

-- Instant discounts (issue 15): a partner-card rule may take a rate
-- (discount_bps of the card part) or a fixed amount (discount_amount won) off
-- what the card is charged, instead of or beside its points. The platform
-- funds it (expense:instant_discounts): the producers' sale, commission and
-- VAT stay on the full amount (ADR 0024). At most one kind of discount per
-- rule; a rule must give something.
ALTER TABLE benefit_rules
    ADD COLUMN discount_bps    bigint NOT NULL DEFAULT 0 CHECK (discount_bps BETWEEN 0 AND 10000),
    ADD COLUMN discount_amount bigint NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    DROP CONSTRAINT benefit_rules_points_bps_check,
    ADD CONSTRAINT benefit_rules_points_bps_check CHECK (points_bps BETWEEN 0 AND 10000),
    ADD CONSTRAINT benefit_rules_one_discount CHECK (discount_bps = 0 OR discount_amount = 0),
    ADD CONSTRAINT benefit_rules_give_something CHECK (points_bps > 0 OR discount_bps > 0 OR discount_amount > 0);

-- The instant discount a customer can get per KST calendar month while the
-- set is in force, beside (not shared with) monthly_points_cap; NULL: no cap.
ALTER TABLE benefit_rule_sets
    ADD COLUMN monthly_discount_cap bigint CHECK (monthly_discount_cap >= 0);

-- The discount the checkout took off the card part (the PG was charged the
-- card part less it), recorded with the benefit before the PG call.
ALTER TABLE payment_benefits
    ADD COLUMN discount_amount bigint NOT NULL DEFAULT 0 CHECK (discount_amount >= 0);

-- +goose Down
ALTER TABLE payment_benefits DROP COLUMN discount_amount;
ALTER TABLE benefit_rule_sets DROP COLUMN monthly_discount_cap;
ALTER TABLE benefit_rules
    DROP CONSTRAINT benefit_rules_give_something,
    DROP CONSTRAINT benefit_rules_one_discount,
    DROP COLUMN discount_amount,
    DROP COLUMN discount_bps;
