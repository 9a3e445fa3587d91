-- name: CreateRiskRule :one
INSERT INTO risk_rules (id, name, kind, dimension, window_seconds, threshold, action, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: GetRiskRule :one
SELECT * FROM risk_rules WHERE id = $1;

-- name: ListRiskRules :many
SELECT * FROM risk_rules ORDER BY created_at, id;

-- name: ListEnabledRiskRules :many
SELECT * FROM risk_rules WHERE enabled AND action = sqlc.arg(action)::text ORDER BY created_at, id;

-- name: SetRiskRuleEnabled :one
UPDATE risk_rules SET enabled = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: CreateBlocklistEntry :one
-- An entry already there for (kind, value) is kept and returned as it is.
INSERT INTO risk_blocklist (id, kind, value, reason, expires_at, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (kind, value) DO UPDATE SET kind = EXCLUDED.kind
RETURNING *;

-- name: ListBlocklist :many
SELECT * FROM risk_blocklist ORDER BY created_at, id;

-- name: GetBlocklistEntry :one
SELECT * FROM risk_blocklist WHERE id = $1;

-- name: DeleteBlocklistEntry :execrows
DELETE FROM risk_blocklist WHERE id = $1;

-- name: FindBlocked :one
-- The first live entry matching any of the payment's values ('' matches nothing).
SELECT * FROM risk_blocklist
WHERE (expires_at IS NULL OR expires_at > now())
  AND ((kind = 'customer' AND value = sqlc.arg(customer_id)::text)
    OR (kind = 'card_fingerprint' AND value = sqlc.arg(fingerprint)::text AND sqlc.arg(fingerprint)::text <> '')
    OR (kind = 'bank_account' AND value = sqlc.arg(bank_account)::text AND sqlc.arg(bank_account)::text <> '')
    -- value is a 6..8-digit prefix of the card's BIN (cardbin.Matches)
    OR (kind = 'bin' AND sqlc.arg(bin)::text <> '' AND starts_with(sqlc.arg(bin)::text, value)))
ORDER BY created_at, id
LIMIT 1;

-- name: GetRiskAttempt :one
SELECT * FROM risk_attempts WHERE payment_id = $1;

-- name: LockRiskSubject :exec
-- Serializes evaluations that share a counter, across every replica.
SELECT pg_advisory_xact_lock(hashtextextended(sqlc.arg(subject)::text, 16));

-- name: RiskWindowTotals :one
-- Payments (and their amount) for one value of a dimension in the last
-- window_seconds (the database's clock, the same for every replica),
-- blocked ones excluded: a refused attempt moved no money.
SELECT count(*)::bigint AS n, COALESCE(sum(amount), 0)::bigint AS amount
FROM risk_attempts
WHERE decision = 'allow' AND created_at > now() - make_interval(secs => sqlc.arg(window_seconds)::float8)
  AND CASE sqlc.arg(dimension)::text
        WHEN 'customer' THEN customer_id
        WHEN 'card_fingerprint' THEN fingerprint
        WHEN 'device' THEN device_id
        WHEN 'ip' THEN ip
      END = sqlc.arg(value)::text;

-- name: CountRecentDeclines :one
-- Card testing: payments of the customer (or made with the fingerprint) that
-- the PG declined in the last window_seconds.
SELECT count(*)::bigint FROM payments p
LEFT JOIN risk_attempts ra ON ra.payment_id = p.id
WHERE p.status = 'failed' AND p.updated_at > now() - make_interval(secs => sqlc.arg(window_seconds)::float8)
  AND p.failure_code IS NOT NULL AND p.failure_code NOT IN ('risk_blocked', 'invalid_request', 'internal_error', 'canceled')
  AND (p.customer_id = sqlc.arg(customer_id)::text
       OR (sqlc.arg(fingerprint)::text <> '' AND ra.fingerprint = sqlc.arg(fingerprint)::text));

-- name: RecordRiskAttempt :exec
INSERT INTO risk_attempts (payment_id, customer_id, fingerprint, device_id, ip, currency, amount, decision, rule)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (payment_id) DO NOTHING;

-- name: MethodRiskFacts :one
-- What a payment method's fingerprint is made of.
SELECT pm.kind, COALESCE(pm.card_brand, '')::text AS card_brand, COALESCE(pm.card_type, '')::text AS card_type,
       COALESCE(pm.card_last4, '')::text AS card_last4, pm.card_bin, COALESCE(pm.bank_code, '')::text AS bank_code,
       bda.account_number_sealed
FROM payment_methods pm
LEFT JOIN bank_debit_accounts bda ON bda.method_id = pm.id
WHERE pm.id = $1;
