-- name: UpsertCashReceiptPreference :one
INSERT INTO customer_cash_receipt_preferences (customer_id, receipt_type, identity_sealed, identity_last4)
VALUES ($1, $2, $3, $4)
ON CONFLICT (customer_id) DO UPDATE
SET receipt_type = EXCLUDED.receipt_type, identity_sealed = EXCLUDED.identity_sealed,
    identity_last4 = EXCLUDED.identity_last4, updated_at = now()
RETURNING *;

-- name: DeleteCashReceiptPreference :exec
DELETE FROM customer_cash_receipt_preferences WHERE customer_id = $1;

-- name: GetCashReceiptPreference :one
SELECT * FROM customer_cash_receipt_preferences WHERE customer_id = $1;
