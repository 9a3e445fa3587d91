-- name: ListPGAttempts :many
SELECT pg, status FROM payment_pg_attempts WHERE payment_id = $1 ORDER BY created_at, pg;

-- name: RecordPGAttempt :exec
-- Before an authorization is sent: from here on it may take effect.
INSERT INTO payment_pg_attempts (payment_id, pg, status) VALUES ($1, $2, 'sent')
ON CONFLICT (payment_id, pg) DO UPDATE SET status = 'sent', updated_at = now();

-- name: MarkPGNotProcessed :exec
-- The PG answered that it did not process the payment (or has no authorization
-- under its key).
UPDATE payment_pg_attempts SET status = 'not_processed', updated_at = now()
WHERE payment_id = $1 AND pg = $2;
