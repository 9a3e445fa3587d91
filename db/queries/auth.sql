-- name: CreateAPIKey :exec
INSERT INTO api_keys (id, name, role, prefix, key_hash, customer_id)
VALUES ($1, $2, $3, $4, $5, sqlc.narg('customer_id'))
ON CONFLICT (key_hash) DO NOTHING;

-- name: GetAPIKeyByHash :one
SELECT id, name, role, prefix, created_at, customer_id
FROM api_keys
WHERE key_hash = $1 AND revoked_at IS NULL;

-- name: ListAPIKeys :many
SELECT id, name, role, prefix, created_at, revoked_at, customer_id
FROM api_keys
ORDER BY created_at, id;

-- name: RevokeAPIKey :execrows
UPDATE api_keys SET revoked_at = now()
WHERE id = $1 AND revoked_at IS NULL;
