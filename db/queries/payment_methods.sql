-- name: CreatePaymentMethod :one
-- Idempotent by id: a retried registration returns the row it wrote the first time.
INSERT INTO payment_methods (id, customer_id, kind, card_brand, card_type, card_last4, bank_code, account_last4, holder_name, card_bin)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, sqlc.arg(card_bin))
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *;

-- name: SaveBillingKey :exec
-- Only the sealed form is written.
INSERT INTO payment_method_billing_keys (method_id, pg, billing_key_sealed)
VALUES ($1, $2, $3)
ON CONFLICT (method_id, pg) DO NOTHING;

-- name: GetPaymentMethod :one
SELECT * FROM payment_methods WHERE id = $1;

-- name: ListPaymentMethods :many
SELECT * FROM payment_methods
WHERE customer_id = $1 AND status = 'active'
ORDER BY created_at, id;

-- name: DeletePaymentMethod :execrows
UPDATE payment_methods SET status = 'deleted', deleted_at = now()
WHERE id = $1 AND customer_id = $2 AND status = 'active';

-- name: GetBillingKey :one
-- billing_key is set only on rows not sealed yet.
SELECT billing_key, billing_key_sealed FROM payment_method_billing_keys
WHERE method_id = $1 AND pg = $2;

-- name: ClearBillingKeys :many
-- A batch of rows still holding a clear billing key, to seal.
SELECT method_id, pg, billing_key FROM payment_method_billing_keys
WHERE billing_key IS NOT NULL
ORDER BY method_id, pg
LIMIT $1;

-- name: SealBillingKey :execrows
UPDATE payment_method_billing_keys SET billing_key = NULL, billing_key_sealed = $3
WHERE method_id = $1 AND pg = $2 AND billing_key IS NOT NULL;
