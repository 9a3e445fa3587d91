-- +goose Up

-- Benefit rules (issue 15): finance's partner-card rules, versioned. A rule set
-- is never edited in place: a new version supersedes it from its
-- effective_from, which must be now or later and after every earlier
-- version's (POST /v1/benefit-rule-sets checks it under an advisory lock), so
-- the version in force at any instant is the latest one that had begun. A
-- checkout records the version it used (payment_benefits) and keeps it even
-- when a new version starts while it runs.
CREATE TABLE benefit_rule_sets (
    version            bigserial PRIMARY KEY,
    currency           text NOT NULL CHECK (length(currency) = 3),
    effective_from     timestamptz NOT NULL,
    -- Points a customer can earn from checkouts per calendar month (KST)
    -- while this set is in force; NULL: no cap.
    monthly_points_cap bigint CHECK (monthly_points_cap >= 0),
    note               text NOT NULL DEFAULT '',
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (currency, effective_from)
);

-- A partner-card rule: a card whose issuer (payment_methods.card_brand,
-- ignoring case) and/or BIN (payment_methods.card_bin, by prefix) match earns
-- points_bps of the card part instead of the base rate, when the card part is
-- min_amount or more. The first matching rule by position wins.
CREATE TABLE benefit_rules (
    rule_set_version bigint NOT NULL REFERENCES benefit_rule_sets (version),
    position         integer NOT NULL CHECK (position >= 0),
    name             text NOT NULL,
    issuer           text,
    bin_prefix       text CHECK (bin_prefix ~ '^[0-9]{6,8}$'),
    points_bps       bigint NOT NULL CHECK (points_bps BETWEEN 1 AND 10000),
    min_amount       bigint NOT NULL DEFAULT 0 CHECK (min_amount >= 0),
    PRIMARY KEY (rule_set_version, position),
    UNIQUE (rule_set_version, name),
    CONSTRAINT benefit_rules_match_something CHECK (issuer IS NOT NULL OR bin_prefix IS NOT NULL)
);

-- Membership multipliers: a customer of tier earns multiplier_bps/10000 times
-- the points rate (rule or base), at most 10000 bps in all.
CREATE TABLE benefit_multipliers (
    rule_set_version bigint NOT NULL REFERENCES benefit_rule_sets (version),
    tier             text NOT NULL CHECK (tier ~ '^[a-z0-9_-]{1,32}$'),
    multiplier_bps   bigint NOT NULL CHECK (multiplier_bps BETWEEN 10000 AND 100000),
    PRIMARY KEY (rule_set_version, tier)
);

-- Rule sets are append-only: the database refuses an edit or a delete, so a
-- payment's recorded version always says what it was evaluated against.
-- +goose StatementBegin
CREATE FUNCTION benefit_rules_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'benefit rule sets are never edited: create a new version';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER benefit_rule_sets_append_only BEFORE UPDATE OR DELETE ON benefit_rule_sets
    FOR EACH ROW EXECUTE FUNCTION benefit_rules_append_only();
CREATE TRIGGER benefit_rules_append_only BEFORE UPDATE OR DELETE ON benefit_rules
    FOR EACH ROW EXECUTE FUNCTION benefit_rules_append_only();
CREATE TRIGGER benefit_multipliers_append_only BEFORE UPDATE OR DELETE ON benefit_multipliers
    FOR EACH ROW EXECUTE FUNCTION benefit_rules_append_only();

-- The customer's membership tier, read by the benefit evaluation (issue 15
-- part B's memberships write it). NULL: no membership, no multiplier.
ALTER TABLE customers ADD COLUMN membership_tier text CHECK (membership_tier ~ '^[a-z0-9_-]{1,32}$');

-- The benefit a checkout was evaluated to, before the card is charged: the
-- rule set version in force at its start (NULL: none was, the base rate
-- applied), the rule that matched, the tier multiplied by, the rate and the
-- points it plans to earn. What was earned is in points_buckets (a monthly
-- cap can grant less).
CREATE TABLE payment_benefits (
    payment_id       text PRIMARY KEY REFERENCES payments (id),
    rule_set_version bigint REFERENCES benefit_rule_sets (version),
    rule_name        text,
    membership_tier  text,
    points_bps       bigint NOT NULL CHECK (points_bps BETWEEN 0 AND 10000),
    points           bigint NOT NULL CHECK (points >= 0),
    -- When the points are earned (PAYSAGA_POINTS_EARN_AT when the checkout
    -- started): at capture, one bucket for the card part; or at each item's
    -- purchase confirmation (구매확정), one bucket per confirmed item for its
    -- share of the card part, net of what was refunded before, valid
    -- points_validity_seconds from the confirmation.
    earn_at          text NOT NULL DEFAULT 'capture' CHECK (earn_at IN ('capture', 'confirmation')),
    points_validity_seconds bigint NOT NULL DEFAULT 0 CHECK (points_validity_seconds >= 0),
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- Points granted per customer and KST calendar month, for the monthly cap.
-- EarnPoints raises it by what it grants in the earning's transaction, with a
-- conditional update under the row's lock: concurrent checkouts of one
-- customer can never together pass the cap.
CREATE TABLE benefit_monthly_usage (
    customer_id text NOT NULL REFERENCES customers (id),
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    points      bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
    PRIMARY KEY (customer_id, month)
);

-- +goose Down
DROP TABLE benefit_monthly_usage;
DROP TABLE payment_benefits;
ALTER TABLE customers DROP COLUMN membership_tier;
DROP TABLE benefit_multipliers;
DROP TABLE benefit_rules;
DROP TABLE benefit_rule_sets;
DROP FUNCTION benefit_rules_append_only();
