-- name: AppendAudit :exec
INSERT INTO audit_log (actor_key, actor_role, request_id, action, object, before, after)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ListAudit :many
-- Newest first; each filter is ignored when empty.
SELECT * FROM audit_log
WHERE (sqlc.arg(action)::text = '' OR action = sqlc.arg(action)::text)
  AND (sqlc.arg(object)::text = '' OR object = sqlc.arg(object)::text)
  AND (sqlc.arg(actor_key)::text = '' OR actor_key = sqlc.arg(actor_key)::text)
  AND (sqlc.arg(before_id)::bigint = 0 OR id < sqlc.arg(before_id)::bigint)
ORDER BY id DESC
LIMIT sqlc.arg(page_size);

-- name: AuditExists :one
-- Whether an action on an object was recorded already: a request retried
-- under its Idempotency-Key (after a 202) records its action once.
SELECT EXISTS (SELECT 1 FROM audit_log WHERE object = $1 AND action = $2);
