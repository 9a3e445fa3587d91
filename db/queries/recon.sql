-- name: StartReconRun :exec
-- A retried run starts over: its earlier findings are cleared by ClearReconFindings.
INSERT INTO recon_runs (id, date, status) VALUES ($1, $2, 'running')
ON CONFLICT (id) DO UPDATE SET status = 'running', completed_at = NULL;

-- name: ClearReconFindings :exec
DELETE FROM recon_findings WHERE run_id = $1;

-- name: InsertReconFinding :exec
INSERT INTO recon_findings (run_id, pg, kind, item_type, payment_id, payment_key, ledger_amount, pg_amount, expected_fee, pg_fee)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: CompleteReconRun :exec
UPDATE recon_runs SET status = 'completed', pg_items = $2, ledger_items = $3, mismatches = $4, completed_at = now()
WHERE id = $1;

-- name: GetReconRun :one
SELECT * FROM recon_runs WHERE id = $1;

-- name: ListReconRuns :many
SELECT * FROM recon_runs
WHERE (sqlc.narg(date)::date IS NULL OR date = sqlc.narg(date)::date)
ORDER BY started_at DESC, id LIMIT 100;

-- name: ListReconFindings :many
SELECT * FROM recon_findings WHERE run_id = $1 ORDER BY pg, payment_key, item_type, kind;

-- name: LedgerPGMovements :many
-- What the ledger booked against one PG's receivable in [from, to): per payment
-- and journal kind (payment_capture > 0, payment_refund < 0).
SELECT COALESCE(t.payment_id, '')::text AS payment_id, COALESCE(p.pg_payment_key, '')::text AS payment_key,
       t.kind, sum(jp.amount)::bigint AS amount
FROM journal_transactions t
JOIN journal_postings jp ON jp.transaction_id = t.id AND jp.account = sqlc.arg(account)::text
LEFT JOIN payments p ON p.id = t.payment_id
WHERE t.created_at >= sqlc.arg(from_time) AND t.created_at < sqlc.arg(to_time)
  AND t.kind IN ('payment_capture', 'payment_refund')
GROUP BY t.payment_id, p.pg_payment_key, t.kind;

-- name: GetPaymentByPGKey :one
SELECT * FROM payments WHERE pg_payment_key = $1 LIMIT 1;
