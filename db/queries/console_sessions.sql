-- name: CreateConsoleSession :exec
INSERT INTO console_sessions (token_hash, api_key_id, role, key_sealed, csrf_token, expires_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: TouchConsoleSession :one
-- The session when it is neither idle past idle_seconds nor past its absolute
-- end; seeing it resets the idle clock.
UPDATE console_sessions
   SET last_seen_at = now()
 WHERE token_hash = sqlc.arg(token_hash)
   AND last_seen_at > now() - make_interval(secs => sqlc.arg(idle_seconds)::int)
   AND expires_at > now()
RETURNING *;

-- name: DeleteConsoleSession :exec
DELETE FROM console_sessions WHERE token_hash = $1;

-- name: DeleteStaleConsoleSessions :execrows
DELETE FROM console_sessions
 WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => sqlc.arg(idle_seconds)::int);
