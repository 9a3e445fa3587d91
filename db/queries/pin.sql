-- name: GetPaymentPIN :one
SELECT * FROM payment_pins WHERE customer_id = $1;

-- name: GetPaymentPINForUpdate :one
-- Serializes PIN checks of one customer, so concurrent wrong tries all count.
SELECT * FROM payment_pins WHERE customer_id = $1 FOR UPDATE;

-- name: CreatePaymentPIN :execrows
INSERT INTO payment_pins (customer_id, pin_hash, salt) VALUES ($1, $2, $3)
ON CONFLICT (customer_id) DO NOTHING;

-- name: ReplacePaymentPIN :exec
-- A new PIN also clears the wrong tries and the lock.
UPDATE payment_pins
SET pin_hash = $2, salt = $3, failed_attempts = 0, locked_until = NULL, updated_at = now()
WHERE customer_id = $1;

-- name: RecordWrongPIN :one
-- One more wrong try; the limit-th locks the PIN until now() + lock.
UPDATE payment_pins
SET failed_attempts = failed_attempts + 1,
    locked_until = CASE WHEN failed_attempts + 1 >= sqlc.arg(max_attempts)::int
                        THEN now() + make_interval(secs => sqlc.arg(lock_seconds)::float8) ELSE locked_until END,
    updated_at = now()
WHERE customer_id = sqlc.arg(customer_id)
RETURNING *;

-- name: RecordRightPIN :exec
UPDATE payment_pins SET failed_attempts = 0, locked_until = NULL, updated_at = now()
WHERE customer_id = $1;

-- name: CreatePINToken :exec
INSERT INTO pin_tokens (token_hash, customer_id, expires_at) VALUES ($1, $2, $3);

-- name: UsePINToken :execrows
-- Single use: the first checkout that presents the token spends it.
UPDATE pin_tokens SET used_at = now()
WHERE token_hash = $1 AND customer_id = $2 AND used_at IS NULL AND expires_at > now();

-- name: ClaimPINReset :execrows
INSERT INTO pin_resets (verification_id, customer_id) VALUES ($1, $2)
ON CONFLICT (verification_id) DO NOTHING;

-- name: CountCustomerDevices :one
SELECT count(*) FROM customer_devices WHERE customer_id = $1;

-- name: IsKnownDevice :one
SELECT EXISTS (SELECT 1 FROM customer_devices WHERE customer_id = $1 AND device_id = $2);

-- name: RememberDevice :exec
INSERT INTO customer_devices (customer_id, device_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING;
