-- name: LockPayoutClaims :exec
-- Serializes claims, so two runs of different periods never both count the same
-- unpaid balance (each sees the other's in-flight payouts).
SELECT pg_advisory_xact_lock(7301);

-- name: PayablesPage :many
-- Each producer's payable at the cut-off, one page in id order: what the ledger
-- owes it for activity at least settlement_days old (sales net of fees, less
-- refunds), less every payout booked, less payouts claimed and not yet booked.
-- Negative or zero means nothing to pay; it carries forward by itself.
SELECT p.id, p.payout_hold, p.hold_reason, p.business_registration_number, p.settlement_days,
  (COALESCE((
     SELECT -sum(jp.amount) FROM journal_postings jp
     JOIN journal_transactions jt ON jt.id = jp.transaction_id
     WHERE jp.account = 'producer:' || p.id || ':payable' AND jp.currency = sqlc.arg(currency)::text
       AND (jt.kind = 'payout' OR jp.created_at <= sqlc.arg(cutoff)::timestamptz - make_interval(days => p.settlement_days))
   ), 0) - COALESCE((
     SELECT sum(po.amount) FROM payouts po
     WHERE po.producer_id = p.id AND po.currency = sqlc.arg(currency)::text AND po.status IN ('pending', 'awaiting_approval')
   ), 0))::bigint AS payable
FROM producers p
WHERE p.id > sqlc.arg(after_id)::text
ORDER BY p.id
LIMIT sqlc.arg(page_size)::int;

-- name: ClaimPayout :exec
INSERT INTO payouts (id, producer_id, period, run_id, currency, amount, status, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (producer_id, period) DO NOTHING;

-- name: ListRunPayoutsForProducers :many
SELECT * FROM payouts WHERE run_id = $1 AND producer_id = ANY(sqlc.arg(producer_ids)::text[]) ORDER BY producer_id;

-- name: GetPayout :one
SELECT * FROM payouts WHERE id = $1;

-- name: SetPayoutStatus :exec
-- A paid payout is final: nothing moves it again.
UPDATE payouts SET status = $2, reason = $3, updated_at = now() WHERE id = $1 AND status <> 'paid';

-- name: ApprovePayout :exec
UPDATE payouts SET status = 'pending', approved_by = $2, updated_at = now() WHERE id = $1 AND status = 'awaiting_approval';

-- name: MarkPayoutPaid :exec
UPDATE payouts SET status = 'paid', reason = '', bank_transaction_id = $2, updated_at = now() WHERE id = $1;

-- name: StartPayoutRun :exec
INSERT INTO payout_runs (id, schedule_id, period, cutoff, currency, status)
VALUES ($1, $2, $3, $4, $5, 'running')
ON CONFLICT (id) DO NOTHING;

-- name: CompletePayoutRun :exec
UPDATE payout_runs SET status = 'completed', completed_at = now() WHERE id = $1 AND status = 'running';

-- name: GetPayoutRun :one
SELECT * FROM payout_runs WHERE id = $1;

-- name: PayoutRunTotals :many
SELECT status, count(*)::bigint AS n, COALESCE(sum(amount), 0)::bigint AS amount
FROM payouts WHERE run_id = $1 GROUP BY status ORDER BY status;

-- name: ListRunPayouts :many
SELECT * FROM payouts WHERE run_id = $1 AND producer_id > sqlc.arg(after_id)::text ORDER BY producer_id LIMIT sqlc.arg(page_size)::int;

-- name: ProducerInFlight :one
SELECT COALESCE(sum(amount), 0)::bigint FROM payouts
WHERE producer_id = $1 AND currency = $2 AND status IN ('pending', 'awaiting_approval');

-- name: ProducerEligible :one
-- The producer's ledger balance (negated: what we owe) counting only activity at
-- least its settlement_days old at the cut-off, and every payout.
SELECT COALESCE(-sum(jp.amount), 0)::bigint FROM journal_postings jp
JOIN journal_transactions jt ON jt.id = jp.transaction_id
WHERE jp.account = 'producer:' || sqlc.arg(producer_id)::text || ':payable' AND jp.currency = sqlc.arg(currency)::text
  AND (jt.kind = 'payout' OR jp.created_at <= sqlc.arg(cutoff)::timestamptz - make_interval(days => sqlc.arg(settlement_days)::int));

-- name: ConfirmPayoutTransfer :execrows
-- The bank confirmed the payout's transfer (by its transaction id); a repeat
-- (duplicate webhook) changes nothing.
UPDATE payouts SET bank_confirmed_at = now()
WHERE bank_transaction_id = $1 AND status = 'paid' AND bank_confirmed_at IS NULL;

-- name: ConfirmPayoutFromInbox :exec
-- A bank confirmation that arrived before the payout was marked paid waits in
-- the inbox; marking it paid picks it up.
UPDATE payouts p SET bank_confirmed_at = i.received_at
FROM webhook_inbox i
WHERE p.id = $1 AND p.bank_confirmed_at IS NULL AND p.bank_transaction_id <> ''
  AND i.provider = 'bank' AND i.payment_key = p.bank_transaction_id;

-- name: LockPayout :one
-- Serializes a bank confirmation with the payout being marked paid.
SELECT id FROM payouts WHERE id = $1 FOR UPDATE;

-- name: AddPayoutApproval :execrows
-- The same finance key approving twice counts once.
INSERT INTO payout_approvals (payout_id, api_key_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING;

-- name: ListPayoutApprovers :many
SELECT api_key_id FROM payout_approvals WHERE payout_id = $1 ORDER BY created_at, api_key_id;

-- name: ListRunApprovals :many
-- Who approved which of a page of a run's payouts (four-eyes progress).
SELECT payout_id, api_key_id FROM payout_approvals
WHERE payout_id = ANY(sqlc.arg(payout_ids)::text[])
ORDER BY payout_id, created_at, api_key_id;

-- name: ListPayoutRuns :many
-- Newest first, one page before a (created_at, id) cursor; an empty schedule_id lists all.
SELECT * FROM payout_runs
WHERE (sqlc.arg(schedule_id)::text = '' OR schedule_id = sqlc.arg(schedule_id)::text)
  AND (sqlc.arg(before_id)::text = '' OR (created_at, id) < (
       SELECT b.created_at, b.id FROM payout_runs b WHERE b.id = sqlc.arg(before_id)::text))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(page_size)::int;

-- name: LoadPayoutBatch :many
-- One PayoutBatch's payouts with the account each goes to, in one round trip
-- (issue 19: a batch reads its payees once, not two reads per step).
SELECT sqlc.embed(payouts), pr.bank_code, pr.account_sealed, pr.holder_name
FROM payouts JOIN producers pr ON pr.id = payouts.producer_id
WHERE payouts.id = ANY(@ids::text[])
ORDER BY payouts.id;
