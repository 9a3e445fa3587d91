-- name: CreateCustomer :one
-- Creating the same external_id twice returns the existing customer.
INSERT INTO customers (id, external_id, name)
VALUES ($1, $2, $3)
ON CONFLICT (external_id) DO UPDATE SET external_id = EXCLUDED.external_id
RETURNING *;

-- name: GetCustomer :one
SELECT * FROM customers WHERE id = $1;
