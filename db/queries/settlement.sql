-- name: GetPaymentItemForUpdate :one
SELECT * FROM payment_items WHERE payment_id = $1 AND producer_id = $2 FOR UPDATE;

-- name: GetPaymentItem :one
SELECT * FROM payment_items WHERE payment_id = $1 AND producer_id = $2;

-- name: MarkItemDelivered :exec
-- The first delivery report wins; a repeat changes nothing.
UPDATE payment_items SET delivered_at = $3
WHERE payment_id = $1 AND producer_id = $2 AND delivered_at IS NULL AND confirmed_at IS NULL;

-- name: MarkItemConfirmed :exec
UPDATE payment_items
SET confirmed_at = $3, confirmed_by = $4, due_at = $5, commission = $6, commission_vat = $7, confirmed_net = $8
WHERE payment_id = $1 AND producer_id = $2 AND confirmed_at IS NULL;

-- name: SetPaymentSettlesOnConfirm :exec
UPDATE payments SET settles_on_confirm = true WHERE id = $1;

-- name: PaymentAccountBalance :one
-- The balance of one account within the journals of one payment.
SELECT COALESCE(sum(jp.amount), 0)::bigint FROM journal_postings jp
JOIN journal_transactions jt ON jt.id = jp.transaction_id
WHERE jt.payment_id = $1 AND jp.account = $2;

-- name: InsertSettlementEntry :exec
INSERT INTO settlement_entries (journal_key, producer_id, payment_id, kind, currency, gross, commission, commission_vat, net, confirmed_at, due_at, tax_free)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (journal_key, producer_id) DO NOTHING;

-- name: LinkSettlementEntries :exec
-- A payout claims the producer's unsettled entries booked by the run's cut-off
-- (less its settlement_days, as PayablesPage counts them).
UPDATE settlement_entries SET payout_id = sqlc.arg(payout_id)::text
WHERE producer_id = sqlc.arg(producer_id)::text AND currency = sqlc.arg(currency)::text AND payout_id IS NULL
  AND booked_at <= sqlc.arg(booked_by)::timestamptz;

-- name: UnlinkSettlementEntries :exec
-- A payout that ends held pays nothing: its entries go back to the next run.
UPDATE settlement_entries SET payout_id = NULL WHERE payout_id = $1;

-- name: ListProducerSettlements :many
SELECT po.*, r.cutoff FROM payouts po JOIN payout_runs r ON r.id = po.run_id
WHERE po.producer_id = $1 ORDER BY r.cutoff DESC, po.id DESC LIMIT sqlc.arg(page_size)::int;

-- name: GetProducerSettlement :one
SELECT po.*, r.cutoff FROM payouts po JOIN payout_runs r ON r.id = po.run_id
WHERE po.producer_id = $1 AND po.id = $2;

-- name: SettlementLines :many
SELECT e.*, p.order_id FROM settlement_entries e JOIN payments p ON p.id = e.payment_id
WHERE e.payout_id = $1 ORDER BY e.booked_at, e.id;

-- name: SettlementTotals :many
SELECT payout_id::text AS payout_id, kind,
       sum(gross)::bigint AS gross, sum(commission)::bigint AS commission,
       sum(commission_vat)::bigint AS commission_vat, sum(net)::bigint AS net
FROM settlement_entries WHERE payout_id = ANY(sqlc.arg(payout_ids)::text[])
GROUP BY payout_id, kind;

-- name: CommissionInvoiceMonth :many
-- The commission the platform invoices each producer for a month (역발행 data):
-- supply amount and VAT booked in [from, to), refunds after confirmation netted.
SELECT e.producer_id, pr.name, pr.business_registration_number, e.currency,
       sum(e.commission)::bigint AS supply_amount, sum(e.commission_vat)::bigint AS vat, count(*)::bigint AS entries
FROM settlement_entries e JOIN producers pr ON pr.id = e.producer_id
WHERE e.booked_at >= sqlc.arg(from_time)::timestamptz AND e.booked_at < sqlc.arg(to_time)::timestamptz
GROUP BY e.producer_id, pr.name, pr.business_registration_number, e.currency
ORDER BY e.producer_id, e.currency;

-- name: SettlementDeadlines :one
-- Confirmed sales not yet paid: at risk (due before at_risk_by) and overdue (due before now).
SELECT count(*) FILTER (WHERE e.due_at < sqlc.arg(now_time)::timestamptz)::bigint AS overdue,
       count(*) FILTER (WHERE e.payout_id IS NULL AND e.due_at >= sqlc.arg(now_time)::timestamptz)::bigint AS at_risk,
       COALESCE(sum(e.net) FILTER (WHERE e.due_at < sqlc.arg(now_time)::timestamptz), 0)::bigint AS overdue_amount
FROM settlement_entries e LEFT JOIN payouts po ON po.id = e.payout_id
WHERE e.kind = 'sale' AND e.due_at < sqlc.arg(at_risk_by)::timestamptz
  AND (e.payout_id IS NULL OR po.status <> 'paid');

-- name: SetProducerHold :exec
UPDATE producers SET payout_hold = $2, hold_reason = $3, updated_at = now() WHERE id = $1;

-- name: RecordDeadlineCheck :exec
INSERT INTO settlement_deadline_checks (id, checked_at, at_risk, overdue, overdue_amount)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO NOTHING;

-- name: RecordCarryover :exec
-- Only for a producer with settlement entries not yet paid (something happened
-- in the period), and only once per period.
INSERT INTO settlement_carryovers (id, producer_id, period, run_id, currency, amount)
SELECT sqlc.arg(id)::text, sqlc.arg(producer_id)::text, sqlc.arg(period)::text, sqlc.arg(run_id)::text, sqlc.arg(currency)::text, sqlc.arg(amount)::bigint
WHERE EXISTS (SELECT 1 FROM settlement_entries e WHERE e.producer_id = sqlc.arg(producer_id)::text AND e.payout_id IS NULL
              AND e.booked_at <= sqlc.arg(booked_by)::timestamptz)
ON CONFLICT (producer_id, period) DO NOTHING;

-- name: ListProducerCarryovers :many
SELECT c.*, r.cutoff FROM settlement_carryovers c JOIN payout_runs r ON r.id = c.run_id
WHERE c.producer_id = $1 ORDER BY c.created_at DESC LIMIT sqlc.arg(page_size)::int;
