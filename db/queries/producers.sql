-- name: CreateProducer :one
INSERT INTO producers (id, name, bank_code, account_sealed, account_last4, holder_name, fee_bps, settlement_days, payout_hold, business_registration_number)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO NOTHING
RETURNING *;

-- name: GetProducer :one
SELECT * FROM producers WHERE id = $1;

-- name: ProducerStatement :many
-- One page of the producer's ledger lines, newest first, with the sale's gross
-- amount and fee for capture lines.
SELECT jp.id, jt.kind, COALESCE(jt.payment_id, '')::text AS payment_id, jt.idempotency_key,
       jp.currency, jp.amount, jp.created_at,
       COALESCE(pi.amount, 0)::bigint AS item_amount, COALESCE(pi.fee, 0)::bigint AS item_fee
FROM journal_postings jp
JOIN journal_transactions jt ON jt.id = jp.transaction_id
LEFT JOIN payment_items pi ON pi.payment_id = jt.payment_id AND pi.producer_id = sqlc.arg(producer_id)::text
WHERE jp.account = 'producer:' || sqlc.arg(producer_id)::text || ':payable'
  AND jp.id < sqlc.arg(before_id)::bigint
ORDER BY jp.id DESC
LIMIT sqlc.arg(page_size)::int;

-- name: ListProducers :many
-- One page in id order after a cursor.
SELECT * FROM producers WHERE id > sqlc.arg(after_id)::text ORDER BY id LIMIT sqlc.arg(page_size)::int;
