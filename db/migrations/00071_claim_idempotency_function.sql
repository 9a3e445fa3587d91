-- +goose Up

-- Claims an Idempotency-Key in one call, for statements that claim and read
-- what they need beside the claim in one round trip (POST /v1/checkouts'
-- ClaimCheckout, issue 19). The same claim as ClaimIdempotencyKey (a new row,
-- or the takeover of an in-progress claim whose lease ran out, for the same
-- request), or the row that stands in the way. It returns the row either
-- way: the caller holds the claim when the row carries its holder and is in
-- progress. NULL only when the key changed hands between the read and the
-- insert three times over (the caller answers 409, as before).
--
-- A PL/pgSQL function rather than a CTE: under READ COMMITTED each statement
-- in it takes a new snapshot, so the read after a refused insert sees the
-- row that refused it even when that row committed after the calling
-- statement began (one statement's snapshot would not). The row is read
-- first, without a lock, as GetIdempotencyKey was: an INSERT .. ON CONFLICT
-- DO UPDATE locks the row it conflicts with even when its WHERE refuses, so
-- a hundred duplicates would otherwise queue on it (and on the pool).
-- +goose StatementBegin
CREATE FUNCTION claim_idempotency_key(p_api_key_id text, p_key text, p_request_hash bytea, p_lock_for interval, p_holder text)
RETURNS idempotency_keys LANGUAGE plpgsql AS $$
DECLARE
    r idempotency_keys;
BEGIN
    FOR attempt IN 1..3 LOOP
        -- A row that cannot be taken (done, another body, a live lease) is
        -- answered from a plain read: a storm of duplicates queues on no lock.
        SELECT k.* INTO r FROM idempotency_keys k WHERE k.api_key_id = p_api_key_id AND k.key = p_key;
        IF FOUND AND NOT (r.status = 'in_progress' AND r.locked_until < now() AND r.request_hash = p_request_hash) THEN
            RETURN r;
        END IF;
        INSERT INTO idempotency_keys AS k (api_key_id, key, request_hash, status, locked_until, holder)
        VALUES (p_api_key_id, p_key, p_request_hash, 'in_progress', now() + p_lock_for, p_holder)
        ON CONFLICT (api_key_id, key) DO UPDATE
        SET locked_until = now() + p_lock_for, holder = EXCLUDED.holder
        WHERE k.status = 'in_progress'
          AND k.locked_until < now()
          AND k.request_hash = EXCLUDED.request_hash
        RETURNING k.* INTO r;
        IF FOUND THEN
            RETURN r;
        END IF;
        -- Another request claimed it between the two: read it again.
    END LOOP;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION claim_idempotency_key(text, text, bytea, interval, text);
