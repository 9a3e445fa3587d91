-- name: InsertJournalTransaction :one
-- Returns no row when the key was already posted (an idempotent retry).
INSERT INTO journal_transactions (idempotency_key, kind, payment_id, description)
VALUES ($1, $2, $3, $4)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id;

-- name: InsertJournalPosting :exec
INSERT INTO journal_postings (transaction_id, account, currency, amount)
VALUES ($1, $2, $3, $4);

-- name: GetJournalTransactionByKey :one
SELECT * FROM journal_transactions WHERE idempotency_key = $1;

-- name: ListPostingsByTransaction :many
SELECT * FROM journal_postings WHERE transaction_id = $1 ORDER BY id;

-- name: ListJournalByPayment :many
SELECT t.id AS transaction_id, t.idempotency_key, t.kind, p.account, p.currency, p.amount
FROM journal_transactions t
JOIN journal_postings p ON p.transaction_id = t.id
WHERE t.payment_id = $1
ORDER BY t.id, p.id;

-- name: AccountBalance :one
SELECT COALESCE(sum(amount), 0)::bigint AS balance
FROM journal_postings
WHERE account = $1 AND currency = $2;

-- name: UnbalancedTransactionCount :one
-- Always 0 unless the database's own check was bypassed; tests and `verify` assert it.
SELECT count(*) FROM (
    SELECT transaction_id, currency FROM journal_postings
    GROUP BY transaction_id, currency HAVING sum(amount) <> 0
) unbalanced;
