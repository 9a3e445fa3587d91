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

-- name: CreateCashReceipt :one
-- Idempotent: a retried checkout step finds the row it wrote.
INSERT INTO cash_receipts (id, payment_id, topup_id, customer_id, covers_method, covers_wallet, currency, amount, tax_free)
VALUES (@id, sqlc.narg(payment_id), sqlc.narg(topup_id), @customer_id, @covers_method, @covers_wallet, @currency, @amount, @tax_free)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *;

-- name: GetCashReceipt :one
SELECT * FROM cash_receipts WHERE id = $1;

-- name: GetCashReceiptForUpdate :one
SELECT * FROM cash_receipts WHERE id = $1 FOR UPDATE;

-- name: GetCashReceiptOfPayment :one
SELECT * FROM cash_receipts WHERE payment_id = $1;

-- name: ClaimCashReceiptAttempt :one
-- The first attempt fixes the connector, the identity and the look-up date.
UPDATE cash_receipts
SET pg = coalesce(pg, @pg), request_date = coalesce(request_date, @request_date),
    receipt_type = coalesce(receipt_type, @receipt_type), identity_last4 = coalesce(identity_last4, @identity_last4),
    self_issued = CASE WHEN receipt_type IS NULL THEN @self_issued ELSE self_issued END,
    attempts = attempts + 1, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: RecordCashReceiptError :exec
UPDATE cash_receipts SET last_error = @last_error, updated_at = now() WHERE id = @id;

-- name: FailCashReceipt :exec
UPDATE cash_receipts SET status = 'failed', last_error = @last_error, updated_at = now()
WHERE id = @id AND status = 'pending';

-- name: MarkCashReceiptIssued :one
UPDATE cash_receipts
SET status = CASE WHEN status IN ('pending', 'failed') THEN 'issued' ELSE status END,
    receipt_key = @receipt_key, receipt_url = coalesce(sqlc.narg(receipt_url), receipt_url),
    issued_at = coalesce(issued_at, now()), last_error = NULL, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: MarkCashReceiptRegistered :one
UPDATE cash_receipts
SET status = CASE WHEN status = 'issued' THEN 'registered' ELSE status END,
    issue_number = coalesce(sqlc.narg(issue_number), issue_number),
    registered_at = coalesce(registered_at, now()), updated_at = now()
WHERE id = @id
RETURNING *;

-- name: SumCashReceiptCancels :one
SELECT coalesce(sum(amount), 0)::bigint FROM cash_receipt_cancels WHERE receipt_id = $1;

-- name: CreateCashReceiptCancel :one
INSERT INTO cash_receipt_cancels (refund_id, receipt_id, amount, tax_free, cancelled_before)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (refund_id) DO UPDATE SET refund_id = EXCLUDED.refund_id
RETURNING *;

-- name: GetCashReceiptCancel :one
SELECT * FROM cash_receipt_cancels WHERE refund_id = $1;

-- name: MarkCashReceiptCancelDone :execrows
UPDATE cash_receipt_cancels SET status = 'done', done_at = now() WHERE refund_id = $1 AND status = 'pending';

-- name: AddCashReceiptCancelled :exec
UPDATE cash_receipts
SET cancelled_amount = cancelled_amount + @amount, cancelled_tax_free = cancelled_tax_free + @tax_free,
    status = CASE WHEN cancelled_amount + @amount = amount THEN 'canceled' ELSE status END, updated_at = now()
WHERE id = @id;
