-- name: CreateAPIKey :execrows
-- Stores the key and, when it is new, its audit row, in one statement (so in
-- one transaction); an already stored key changes nothing and is not audited.
WITH k AS (
    INSERT INTO api_keys (id, name, role, prefix, key_hash, customer_id)
    VALUES (sqlc.arg(id), sqlc.arg(name), sqlc.arg(role), sqlc.arg(prefix), sqlc.arg(key_hash), sqlc.narg('customer_id'))
    ON CONFLICT (key_hash) DO NOTHING
    RETURNING id, name, role, prefix, customer_id
)
INSERT INTO audit_log (actor_key, actor_role, action, object, after)
SELECT sqlc.arg(actor_key), sqlc.arg(actor_role), 'api_key.created', 'api_key:' || k.id,
       jsonb_build_object('name', k.name, 'role', k.role, 'prefix', k.prefix, 'customer_id', k.customer_id)
FROM k;

-- name: GetAPIKeyByHash :one
SELECT id, name, role, prefix, created_at, customer_id
FROM api_keys
WHERE key_hash = $1 AND revoked_at IS NULL;

-- name: ListAPIKeys :many
SELECT id, name, role, prefix, created_at, revoked_at, customer_id
FROM api_keys
ORDER BY created_at, id;

-- name: RevokeAPIKey :execrows
-- Revokes a live key and appends its audit row in one statement; a key
-- already revoked (or unknown) changes nothing: 0 rows.
WITH k AS (
    UPDATE api_keys SET revoked_at = now()
    WHERE api_keys.id = sqlc.arg(key_id) AND api_keys.revoked_at IS NULL
    RETURNING api_keys.id, api_keys.name, api_keys.role, api_keys.prefix
)
INSERT INTO audit_log (actor_key, actor_role, action, object, before, after)
SELECT sqlc.arg(actor_key), sqlc.arg(actor_role), 'api_key.revoked', 'api_key:' || k.id,
       jsonb_build_object('name', k.name, 'role', k.role, 'prefix', k.prefix, 'revoked', false),
       jsonb_build_object('revoked', true)
FROM k;
