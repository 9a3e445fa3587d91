-- name: ClaimCheckout :one
-- POST /v1/checkouts claims its Idempotency-Key and reads everything it checks
-- before starting the workflow in ONE round trip (issue 19): the claim
-- (claim_idempotency_key: claimed, or the row in the way: another body, in
-- flight, or the stored answer), whether this request's payment ran before (a
-- key released after a 202), the customer, the method (owner, status, kind,
-- brand) and what its risk fingerprint is made of, and the device facts of the
-- step-up, and the window totals of the step-up rules the caller holds in
-- memory (rule_dimensions and rule_windows, one entry per rule whose value the
-- request carries: customer, device, ip; the counts and amounts come back in
-- the same order, as RiskWindowTotals would count them). The facts are read
-- at the statement's start, the claim taken in it.
-- One more fact a checkout validates before its claim (a tender's balance)
-- goes here as one more column, beside method_* and device_*.
SELECT (k.holder IS NOT DISTINCT FROM sqlc.arg(holder)::text AND k.status IS NOT DISTINCT FROM 'in_progress')::boolean AS claimed,
       (k.api_key_id IS NOT NULL)::boolean AS key_found,
       k.request_hash AS key_request_hash,
       COALESCE(k.status, '')::text AS key_status,
       k.response_status AS key_response_status,
       k.response_body AS key_response_body,
       k.locked_until AS key_locked_until,
       EXISTS (SELECT 1 FROM payments p WHERE p.id = sqlc.arg(payment_id)::text)::boolean AS ran_before,
       EXISTS (SELECT 1 FROM customers c WHERE c.id = sqlc.arg(customer_id)::text)::boolean AS customer_found,
       (m.id IS NOT NULL)::boolean AS method_found,
       COALESCE(m.customer_id, '')::text AS method_customer_id,
       COALESCE(m.status, '')::text AS method_status,
       COALESCE(m.kind, '')::text AS method_kind,
       m.card_brand AS method_card_brand,
       COALESCE(m.card_type, '')::text AS method_card_type,
       COALESCE(m.card_last4, '')::text AS method_card_last4,
       COALESCE(m.card_bin, '')::text AS method_card_bin,
       COALESCE(m.bank_code, '')::text AS method_bank_code,
       bda.account_number_sealed AS method_account_number_sealed,
       (SELECT count(*) FROM customer_devices d WHERE d.customer_id = sqlc.arg(customer_id)::text)::bigint AS device_count,
       EXISTS (SELECT 1 FROM customer_devices d
                WHERE d.customer_id = sqlc.arg(customer_id)::text AND d.device_id = sqlc.arg(device_id)::text)::boolean AS device_known,
       w.rule_counts::bigint[] AS rule_counts,
       w.rule_amounts::bigint[] AS rule_amounts
  FROM claim_idempotency_key(sqlc.arg(api_key_id)::text, sqlc.arg(key)::text, sqlc.arg(request_hash)::bytea,
                             sqlc.arg(lock_for)::interval, sqlc.arg(holder)::text) k
  LEFT JOIN payment_methods m ON m.id = sqlc.arg(method_id)::text
  LEFT JOIN bank_debit_accounts bda ON bda.method_id = m.id
 CROSS JOIN LATERAL (
       SELECT COALESCE(array_agg(t.n ORDER BY r.i), '{}') AS rule_counts,
              COALESCE(array_agg(t.amount ORDER BY r.i), '{}') AS rule_amounts
         FROM unnest(sqlc.arg(rule_dimensions)::text[]) WITH ORDINALITY AS r (dimension, i)
        CROSS JOIN LATERAL (
              SELECT count(*)::bigint AS n, COALESCE(sum(a.amount), 0)::bigint AS amount
                FROM risk_attempts a
               WHERE a.decision = 'allow' AND a.created_at > now() - make_interval(secs => (sqlc.arg(rule_windows)::float8[])[r.i])
                 AND CASE r.dimension
                       WHEN 'customer' THEN a.customer_id = sqlc.arg(customer_id)::text
                       WHEN 'device' THEN a.device_id = sqlc.arg(device_id)::text
                       WHEN 'ip' THEN a.ip = sqlc.arg(ip)::text
                       ELSE false
                     END) t) w;
