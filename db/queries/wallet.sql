-- name: LockCustomer :one
-- Serialises everything that checks a customer's wallet limits.
SELECT * FROM customers WHERE id = $1 FOR UPDATE;

-- name: ProcessingTopUpsTotal :one
SELECT COALESCE(sum(amount), 0)::bigint AS total
FROM wallet_topups WHERE customer_id = $1 AND currency = $2 AND status = 'processing';

-- name: TopUpsTodayTotal :one
-- Today is the calendar day in Asia/Seoul; failed and reversed top-ups do not count.
SELECT COALESCE(sum(amount), 0)::bigint AS total
FROM wallet_topups
WHERE customer_id = $1 AND currency = $2 AND status IN ('processing', 'succeeded')
  AND created_at >= (date_trunc('day', now() AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul');

-- name: TopUpsLastHour :one
-- Velocity: top-ups the customer started in the last hour, whatever became of them
-- (a burst of declined debits is as suspicious as a burst of successful ones).
SELECT count(*) AS n
FROM wallet_topups
WHERE customer_id = $1 AND created_at > now() - interval '1 hour';

-- name: CreateTopUp :one
INSERT INTO wallet_topups (id, customer_id, method_id, currency, amount, status, workflow_id)
VALUES ($1, $2, $3, $4, $5, 'processing', $6)
RETURNING *;

-- name: GetTopUp :one
SELECT * FROM wallet_topups WHERE id = $1;

-- name: SetTopUpBankTransaction :exec
UPDATE wallet_topups SET bank_transaction_id = $2, updated_at = now() WHERE id = $1;

-- name: MarkTopUpSucceeded :execrows
UPDATE wallet_topups SET status = 'succeeded', updated_at = now()
WHERE id = $1 AND status = 'processing';

-- name: MarkTopUpFailed :execrows
-- status is failed (nothing taken) or reversed (taken and given back).
UPDATE wallet_topups SET status = $2, failure_code = $3, failure_message = $4, updated_at = now()
WHERE id = $1 AND status = 'processing';

-- name: ListWalletPostings :many
-- Newest first; before_id pages (0: from the newest).
SELECT p.id, t.idempotency_key, t.kind, t.payment_id, t.description, p.currency, p.amount, p.created_at
FROM journal_postings p
JOIN journal_transactions t ON t.id = p.transaction_id
WHERE p.account = sqlc.arg(account) AND (sqlc.arg(before_id)::bigint = 0 OR p.id < sqlc.arg(before_id)::bigint)
ORDER BY p.id DESC
LIMIT sqlc.arg(page_size);

-- name: SaveBankDebitAccount :exec
INSERT INTO bank_debit_accounts (method_id, bank_code, account_number_sealed, holder_name)
VALUES ($1, $2, $3, $4)
ON CONFLICT (method_id) DO NOTHING;

-- name: GetBankDebitAccount :one
SELECT * FROM bank_debit_accounts WHERE method_id = $1;

-- name: ActiveHoldsTotal :one
SELECT COALESCE(sum(amount), 0)::bigint AS total
FROM wallet_holds WHERE customer_id = $1 AND currency = $2 AND status = 'active';

-- name: GetWalletHold :one
SELECT * FROM wallet_holds WHERE payment_id = $1;

-- name: CreateWalletHold :exec
INSERT INTO wallet_holds (payment_id, customer_id, currency, amount, status)
VALUES ($1, $2, $3, $4, 'active');

-- name: ReleaseWalletHold :execrows
UPDATE wallet_holds SET status = 'released', updated_at = now()
WHERE payment_id = $1 AND status = 'active';

-- name: CaptureWalletHold :execrows
UPDATE wallet_holds SET status = 'captured', updated_at = now()
WHERE payment_id = $1 AND status = 'active';

-- name: ListStuckTopUps :many
-- Top-ups still processing since before a cut-off: their TopUp workflow may
-- have ended without giving the debit back (the console's ops queue).
SELECT * FROM wallet_topups
WHERE status = 'processing' AND created_at < sqlc.arg(created_before)::timestamptz
ORDER BY created_at, id
LIMIT sqlc.arg(page_size)::int;
