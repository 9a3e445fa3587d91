-- name: GetMembershipPlan :one
SELECT * FROM membership_plans WHERE id = $1 AND active;

-- name: CreateMembership :one
INSERT INTO memberships (id, customer_id, plan_id, tier, method_id, currency, price, status, anchor_day, schedule_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9)
RETURNING *;

-- name: GetMembership :one
SELECT * FROM memberships WHERE id = $1;

-- name: LockMembership :one
SELECT * FROM memberships WHERE id = $1 FOR UPDATE;

-- name: LiveMembershipOf :one
-- The customer's membership that is not canceled (at most one), for its tier.
SELECT * FROM memberships WHERE customer_id = $1 AND status <> 'canceled';

-- name: SetMembershipStatus :one
UPDATE memberships SET status = sqlc.arg(status), updated_at = now()
WHERE id = sqlc.arg(id) AND status = ANY(sqlc.arg(from_statuses)::text[])
RETURNING *;

-- name: CancelMembership :one
-- Benefits last to the end of the paid period (ends_at = paid_until): no proration.
UPDATE memberships SET status = 'canceled', ends_at = COALESCE(paid_until, now()), updated_at = now()
WHERE id = $1 AND status <> 'canceled'
RETURNING *;

-- name: SetMembershipPaidUntil :exec
UPDATE memberships SET paid_until = GREATEST(COALESCE(paid_until, sqlc.arg(paid_until)), sqlc.arg(paid_until)), updated_at = now()
WHERE id = sqlc.arg(id);

-- name: InsertMembershipCharge :one
-- Claims the period; an existing row (a second firing, a re-run) is returned as is.
INSERT INTO membership_charges (membership_id, period, currency, amount, status, workflow_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (membership_id, period) DO UPDATE SET membership_id = EXCLUDED.membership_id
RETURNING *, (xmax = 0) AS inserted;

-- name: GetMembershipCharge :one
SELECT * FROM membership_charges WHERE membership_id = $1 AND period = $2;

-- name: RecordMembershipAttempt :exec
UPDATE membership_charges
SET attempts = GREATEST(attempts, sqlc.arg(attempts)), failure_code = sqlc.narg(failure_code), updated_at = now()
WHERE membership_id = sqlc.arg(membership_id) AND period = sqlc.arg(period);

-- name: EndMembershipCharge :execrows
UPDATE membership_charges
SET status = sqlc.arg(status), payment_id = sqlc.narg(payment_id), failure_code = sqlc.narg(failure_code), updated_at = now()
WHERE membership_id = sqlc.arg(membership_id) AND period = sqlc.arg(period) AND status = 'processing';

-- name: ListMembershipCharges :many
SELECT * FROM membership_charges WHERE membership_id = $1 ORDER BY period DESC LIMIT 24;
