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

-- name: ClaimPGRoute :one
-- The authorization's route claim in one round trip: the method's billing key
-- at the PG and, when it has one and no other PG was sent this payment, the
-- attempt recorded as sent (as RecordPGAttempt). tried_here and sent_elsewhere
-- describe the attempts before this statement (one snapshot); when
-- sent_elsewhere, nothing is recorded and the caller takes the careful path.
-- A payment already failed or canceled is never claimed (payment_closed): a
-- workflow task replayed after its worker died may re-run this step with a
-- different outcome than the run that failed the payment, and must not charge.
-- A payment already succeeded is never claimed either (payment_succeeded, with
-- the PG and key it was paid by): the re-run must not ask the PG again.
WITH pay AS (
    SELECT p.status, p.pg, p.pg_payment_key FROM payments p WHERE p.id = sqlc.arg(payment_id)::text
), prior AS (
    SELECT a.pg, a.status FROM payment_pg_attempts a WHERE a.payment_id = sqlc.arg(payment_id)::text
), bk AS (
    SELECT k.billing_key, k.billing_key_sealed FROM payment_method_billing_keys k
     WHERE k.method_id = sqlc.arg(method_id)::text AND k.pg = sqlc.arg(pg)::text
), claimed AS (
    INSERT INTO payment_pg_attempts (payment_id, pg, status)
    SELECT sqlc.arg(payment_id)::text, sqlc.arg(pg)::text, 'sent'
     WHERE EXISTS (SELECT 1 FROM bk)
       AND NOT EXISTS (SELECT 1 FROM pay WHERE pay.status IN ('failed', 'canceled', 'succeeded'))
       AND NOT EXISTS (SELECT 1 FROM prior p WHERE p.status = 'sent' AND p.pg <> sqlc.arg(pg)::text)
    ON CONFLICT (payment_id, pg) DO UPDATE SET status = 'sent', updated_at = now()
    RETURNING payment_id
)
SELECT EXISTS (SELECT 1 FROM claimed)::boolean AS claimed,
       EXISTS (SELECT 1 FROM prior p WHERE p.status = 'sent' AND p.pg = sqlc.arg(pg)::text)::boolean AS tried_here,
       EXISTS (SELECT 1 FROM prior p WHERE p.status = 'sent' AND p.pg <> sqlc.arg(pg)::text)::boolean AS sent_elsewhere,
       EXISTS (SELECT 1 FROM pay WHERE pay.status IN ('failed', 'canceled'))::boolean AS payment_closed,
       EXISTS (SELECT 1 FROM pay WHERE pay.status = 'succeeded')::boolean AS payment_succeeded,
       COALESCE((SELECT pay.pg FROM pay), '')::text AS paid_pg,
       COALESCE((SELECT pay.pg_payment_key FROM pay), '')::text AS paid_payment_key,
       bk.billing_key, bk.billing_key_sealed
  FROM (SELECT 1) one LEFT JOIN bk ON true;
