-- name: RecordInstallment :exec
-- Idempotent: a retried activity finds its row and changes nothing.
INSERT INTO payment_installments (payment_id, months, interest_payer, plan)
VALUES (@payment_id, @months, @interest_payer, sqlc.narg(plan))
ON CONFLICT (payment_id) DO NOTHING;

-- name: GetInstallment :one
SELECT payment_id, months, interest_payer, plan FROM payment_installments WHERE payment_id = @payment_id;
