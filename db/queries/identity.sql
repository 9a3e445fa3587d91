-- name: CountIdentityVerifications :one
SELECT count(*) FROM identity_verifications WHERE customer_id = $1;

-- name: CreateIdentityVerification :one
-- Idempotent by id: the workflow's first step may run more than once.
INSERT INTO identity_verifications (id, customer_id, seq, status, max_attempts, expires_at)
VALUES ($1, $2, $3, 'pending', $4, $5)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *;

-- name: GetIdentityVerification :one
SELECT * FROM identity_verifications WHERE id = $1;

-- name: SetIdentityVerificationRequest :exec
UPDATE identity_verifications SET provider_request_id = $2, updated_at = now()
WHERE id = $1;

-- name: SetIdentityVerificationAttempts :exec
UPDATE identity_verifications SET attempts = GREATEST(attempts, $2), updated_at = now()
WHERE id = $1;

-- name: FinishIdentityVerification :execrows
UPDATE identity_verifications SET status = $2, failure_code = $3, updated_at = now()
WHERE id = $1 AND status = 'pending';

-- name: MarkCustomerVerified :exec
UPDATE customers
SET ci_hash = $2, di_hash = $3, identity_verified_at = COALESCE(identity_verified_at, now())
WHERE id = $1;
