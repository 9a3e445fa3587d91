-- name: CreatePayment :one
-- Idempotent by id: the workflow's first step may run more than once.
INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, fee_amount, status, workflow_id, wallet_amount, points_amount)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9, $10)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *;

-- name: CreatePaymentItem :exec
INSERT INTO payment_items (payment_id, producer_id, amount, fee, tax_free_amount)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (payment_id, producer_id) DO NOTHING;

-- name: GetPayment :one
SELECT * FROM payments WHERE id = $1;

-- name: GetPaymentByOrder :one
SELECT * FROM payments WHERE order_id = $1;

-- name: GetPaymentForUpdate :one
SELECT * FROM payments WHERE id = $1 FOR UPDATE;

-- name: ListPaymentItems :many
SELECT * FROM payment_items WHERE payment_id = $1 ORDER BY producer_id;

-- name: MarkPaymentAuthorized :exec
UPDATE payments
SET status = 'authorized', pg = $2, pg_payment_key = $3, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: MarkPaymentSucceeded :execrows
UPDATE payments
SET status = 'succeeded', pg = $2, pg_payment_key = $3, captured_amount = amount, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: MarkPaymentFailed :execrows
UPDATE payments
SET status = 'failed', failure_code = $2, failure_message = $3, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: MarkPaymentCanceledBeforeCapture :execrows
UPDATE payments
SET status = 'canceled', failure_code = $2, failure_message = $3, updated_at = now()
WHERE id = $1 AND status IN ('processing', 'authorized');

-- name: RecordPaymentEvent :exec
INSERT INTO payment_events (payment_id, step, detail)
VALUES ($1, $2, $3)
ON CONFLICT (payment_id, step) DO NOTHING;

-- name: ListPaymentEvents :many
SELECT step, detail, created_at FROM payment_events
WHERE payment_id = $1
ORDER BY id;

-- name: GetPaymentView :one
-- The payment as the API shows it, in one round trip (issue 19): the row, its
-- items, refunds and timeline as JSON arrays in the orders ListPaymentItems,
-- ListRefunds and ListPaymentEvents use, the installment plan (months 0 for
-- 일시불), the points earned, and the cash receipt and benefit (issues 14, 15;
-- null when none) as the API's own JSON. One statement, so one snapshot.
SELECT sqlc.embed(p),
       COALESCE((SELECT json_agg(json_build_object('producer_id', i.producer_id, 'amount', i.amount, 'fee', i.fee,
                                                   'tax_free_amount', i.tax_free_amount) ORDER BY i.producer_id)
                   FROM payment_items i WHERE i.payment_id = p.id), '[]')::json AS items,
       COALESCE((SELECT json_agg(json_build_object('id', r.id, 'amount', r.amount, 'reason', r.reason, 'kind', r.kind,
                                                   'refunded_before', r.refunded_before, 'status', r.status,
                                                   'failure_code', r.failure_code, 'failure_message', r.failure_message,
                                                   'created_at', r.created_at) ORDER BY r.created_at, r.id)
                   FROM refunds r WHERE r.payment_id = p.id), '[]')::json AS refunds,
       COALESCE((SELECT json_agg(json_build_object('step', e.step, 'detail', e.detail, 'created_at', e.created_at) ORDER BY e.id)
                   FROM payment_events e WHERE e.payment_id = p.id), '[]')::json AS events,
       COALESCE(inst.months, 0)::int AS installment_months,
       COALESCE(inst.interest_payer, '')::text AS installment_interest_payer,
       COALESCE(inst.plan, '')::text AS installment_plan,
       (SELECT COALESCE(sum(b.amount), 0) FROM points_buckets b WHERE b.payment_id = p.id)::bigint AS points_earned,
       (SELECT json_build_object('status', cr.status, 'amount', cr.amount, 'tax_free_amount', cr.tax_free,
                                 'cancelled_amount', cr.cancelled_amount, 'cancelled_tax_free_amount', cr.cancelled_tax_free,
                                 'type', cr.receipt_type, 'identity_last4', cr.identity_last4, 'self_issued', cr.self_issued,
                                 'pg', cr.pg, 'issue_number', cr.issue_number, 'attempts', cr.attempts,
                                 'issued_at', cr.issued_at, 'registered_at', cr.registered_at)
          FROM cash_receipts cr WHERE cr.payment_id = p.id)::json AS cash_receipt,
       (SELECT json_build_object('rule_set_version', pb.rule_set_version, 'rule', pb.rule_name,
                                 'membership_tier', pb.membership_tier, 'points_rate_bps', pb.points_bps,
                                 'points_to_earn', pb.points, 'discount_amount', pb.discount_amount)
          FROM payment_benefits pb WHERE pb.payment_id = p.id)::json AS benefit
  FROM payments p
  LEFT JOIN payment_installments inst ON inst.payment_id = p.id
 WHERE p.id = @id;
