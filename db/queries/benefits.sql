-- name: LockBenefitRuleSets :exec
-- Serialises the creation of rule set versions per currency, so each new
-- version starts after every earlier one.
SELECT pg_advisory_xact_lock(hashtext('benefit_rule_sets:' || @currency::text));

-- name: LatestBenefitEffectiveFrom :one
SELECT COALESCE(max(effective_from), '-infinity'::timestamptz)::timestamptz AS effective_from
FROM benefit_rule_sets WHERE currency = @currency;

-- name: InsertBenefitRuleSet :one
INSERT INTO benefit_rule_sets (currency, effective_from, monthly_points_cap, monthly_discount_cap, note, created_by)
VALUES (@currency, @effective_from, sqlc.narg(monthly_points_cap), sqlc.narg(monthly_discount_cap), @note, @created_by)
RETURNING *;

-- name: InsertBenefitRule :exec
INSERT INTO benefit_rules (rule_set_version, position, name, issuer, bin_prefix, points_bps, min_amount, discount_bps, discount_amount)
VALUES (@rule_set_version, @position, @name, sqlc.narg(issuer), sqlc.narg(bin_prefix), @points_bps, @min_amount, @discount_bps, @discount_amount);

-- name: InsertBenefitMultiplier :exec
INSERT INTO benefit_multipliers (rule_set_version, tier, multiplier_bps)
VALUES (@rule_set_version, @tier, @multiplier_bps);

-- name: GetBenefitRuleSet :one
SELECT * FROM benefit_rule_sets WHERE version = @version;

-- name: ListBenefitRuleSets :many
SELECT * FROM benefit_rule_sets
WHERE currency = @currency
ORDER BY effective_from DESC
LIMIT @max_rows;

-- name: ListBenefitRules :many
SELECT * FROM benefit_rules WHERE rule_set_version = @rule_set_version ORDER BY position;

-- name: ListBenefitMultipliers :many
SELECT * FROM benefit_multipliers WHERE rule_set_version = @rule_set_version ORDER BY tier;

-- name: GrantMonthlyPoints :one
-- Raises the customer's points of the month by what the cap leaves of @want
-- and answers what it granted. Call EnsureMonthlyUsage first; the row lock
-- (FOR UPDATE) holds concurrent earnings back until this one commits.
WITH old AS (
    SELECT u.points FROM benefit_monthly_usage u
    WHERE u.customer_id = @customer_id AND u.month = @month FOR UPDATE
)
UPDATE benefit_monthly_usage u
SET points = u.points + LEAST(sqlc.arg(want)::bigint, GREATEST(sqlc.arg(cap)::bigint - old.points, 0))
FROM old
WHERE u.customer_id = @customer_id AND u.month = @month
RETURNING (u.points - old.points)::bigint AS granted;

-- name: EnsureMonthlyUsage :exec
INSERT INTO benefit_monthly_usage (customer_id, month) VALUES (@customer_id, @month)
ON CONFLICT DO NOTHING;

-- name: MonthlyPointsUsed :one
SELECT COALESCE((SELECT points FROM benefit_monthly_usage WHERE customer_id = @customer_id AND month = @month), 0)::bigint AS points;

-- name: ItemPointsBasis :one
-- What a confirmed item earns points on: its payment's card part, the item's
-- amount and what succeeded refunds gave back of it, the benefit's rate and
-- when it earns, and the monthly cap of the rule set it used.
SELECT p.customer_id, p.currency, p.amount AS payment_amount, p.wallet_amount, p.points_amount, i.amount AS item_amount,
       COALESCE((SELECT sum(ri.amount) FROM refund_items ri JOIN refunds r ON r.id = ri.refund_id
                 WHERE ri.payment_id = i.payment_id AND ri.producer_id = i.producer_id AND r.status = 'succeeded'), 0)::bigint AS item_refunded,
       b.points_bps, b.earn_at, b.points_validity_seconds, s.monthly_points_cap
FROM payment_items i
JOIN payments p ON p.id = i.payment_id
JOIN payment_benefits b ON b.payment_id = i.payment_id
LEFT JOIN benefit_rule_sets s ON s.version = b.rule_set_version
WHERE i.payment_id = @payment_id AND i.producer_id = @producer_id;

-- name: BenefitFacts :one
-- Everything a checkout's benefit is evaluated from, in one round trip (issue
-- 19): the card's issuer and BIN and its owner's tier (a paid membership's,
-- its paid period covering @at whatever its status since, else the tier set
-- on the customer),
-- and the rule set in force at @at (version 0 when none: only the base rate
-- applies) with its rules in position order and its multipliers, as JSON.
WITH card AS (
    SELECT COALESCE(pm.card_brand, '')::text AS issuer, COALESCE(pm.card_bin, '')::text AS card_bin,
           COALESCE((SELECT m.tier FROM memberships m
                     WHERE m.customer_id = c.id AND m.paid_until > sqlc.arg(at)::timestamptz
                     ORDER BY m.paid_until DESC LIMIT 1), c.membership_tier, '')::text AS membership_tier
    FROM customers c LEFT JOIN payment_methods pm ON pm.id = sqlc.narg(method_id) AND pm.customer_id = c.id
    WHERE c.id = @customer_id
), rs AS (
    SELECT s.version, s.monthly_points_cap, s.monthly_discount_cap FROM benefit_rule_sets s
    WHERE s.currency = @currency AND s.effective_from <= sqlc.arg(at)::timestamptz
    ORDER BY s.effective_from DESC
    LIMIT 1
)
SELECT card.issuer, card.card_bin, card.membership_tier,
       COALESCE(rs.version, 0)::bigint AS rule_set_version,
       COALESCE(rs.monthly_points_cap, -1)::bigint AS monthly_points_cap,
       COALESCE(rs.monthly_discount_cap, -1)::bigint AS monthly_discount_cap,
       COALESCE((SELECT json_agg(json_build_object('name', r.name, 'issuer', COALESCE(r.issuer, ''),
                        'bin_prefix', COALESCE(r.bin_prefix, ''), 'points_bps', r.points_bps, 'min_amount', r.min_amount,
                        'discount_bps', r.discount_bps, 'discount_amount', r.discount_amount)
                        ORDER BY r.position)
                 FROM benefit_rules r WHERE r.rule_set_version = rs.version), '[]')::jsonb AS rules,
       COALESCE((SELECT json_agg(json_build_object('tier', m.tier, 'multiplier_bps', m.multiplier_bps) ORDER BY m.tier)
                 FROM benefit_multipliers m WHERE m.rule_set_version = rs.version), '[]')::jsonb AS multipliers
FROM card LEFT JOIN rs ON true;

-- name: RecordPaymentBenefitReturning :one
-- Idempotent, answering the row that holds: a retried opening gets the
-- benefit its first try recorded (and sent the PG), never a new one.
INSERT INTO payment_benefits (payment_id, rule_set_version, rule_name, membership_tier, points_bps, points, earn_at, points_validity_seconds, discount_amount)
VALUES (@payment_id, sqlc.narg(rule_set_version), sqlc.narg(rule_name), sqlc.narg(membership_tier), @points_bps, @points, @earn_at, @points_validity_seconds, @discount_amount)
ON CONFLICT (payment_id) DO UPDATE SET payment_id = payment_benefits.payment_id
RETURNING *;

-- name: MonthlyDiscountUsed :one
-- The instant discounts a customer's payments recorded from @since to
-- @until, but for @payment_id's own and those of payments that failed or
-- were canceled (they gave nothing). Read under the customer's lock
-- (LockCustomer), so concurrent checkouts never pass the cap together.
SELECT COALESCE(sum(b.discount_amount), 0)::bigint AS discount
FROM payment_benefits b JOIN payments p ON p.id = b.payment_id
WHERE p.customer_id = @customer_id AND b.created_at >= @since AND b.created_at < @until
  AND b.payment_id <> @payment_id AND b.discount_amount > 0 AND p.status NOT IN ('failed', 'canceled');

-- name: PaymentDiscount :one
-- The instant discount a payment's card part got (0: none).
SELECT COALESCE((SELECT discount_amount FROM payment_benefits WHERE payment_id = @payment_id), 0)::bigint AS discount;
