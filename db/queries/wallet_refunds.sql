-- name: CreateWalletRefund :one
INSERT INTO wallet_refunds (id, customer_id, method_id, currency, amount, fee, status, workflow_id)
VALUES ($1, $2, $3, $4, $5, $6, 'processing', $7)
RETURNING *;

-- name: GetWalletRefund :one
SELECT * FROM wallet_refunds WHERE id = $1;

-- name: SetWalletRefundBankTransaction :exec
UPDATE wallet_refunds SET bank_transaction_id = $2, updated_at = now() WHERE id = $1;

-- name: MarkWalletRefundSucceeded :execrows
UPDATE wallet_refunds SET status = 'succeeded', updated_at = now() WHERE id = $1 AND status = 'processing';

-- name: MarkWalletRefundFailed :execrows
UPDATE wallet_refunds SET status = 'failed', failure_code = $2, failure_message = $3, updated_at = now()
WHERE id = $1 AND status = 'processing';
