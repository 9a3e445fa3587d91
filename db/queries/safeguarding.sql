-- name: RecordSafeguardBalance :one
INSERT INTO safeguard_balances (currency, amount, as_of, recorded_by)
VALUES (@currency, @amount, @as_of, @recorded_by)
RETURNING *;

-- name: LatestSafeguardBalance :one
SELECT * FROM safeguard_balances WHERE currency = @currency ORDER BY as_of DESC, id DESC LIMIT 1;

-- name: PrepaidLiabilities :one
-- What the ledger owes customers in prepaid value: wallets and points
-- (liabilities: minus the raw sums). Wallet refunds on their way to the bank
-- (wallet_refunds:transit) are still owed until the transfer is booked.
SELECT
    COALESCE(-sum(amount) FILTER (WHERE account LIKE 'wallet:%' OR account = 'wallet_refunds:transit'), 0)::bigint AS wallets,
    COALESCE(-sum(amount) FILTER (WHERE account LIKE 'points:%' AND account NOT IN ('points:funding', 'points:expired', 'points:clearing')), 0)::bigint AS points
FROM journal_postings
WHERE currency = @currency;

-- name: InsertSafeguardingReport :execrows
INSERT INTO safeguarding_reports (report_key, currency, wallet_liabilities, points_liabilities, safeguarded, coverage_bps, computed_at)
VALUES (@report_key, @currency, @wallet_liabilities, @points_liabilities, @safeguarded, @coverage_bps, @computed_at)
ON CONFLICT (report_key) DO NOTHING;

-- name: LatestSafeguardingReport :one
SELECT * FROM safeguarding_reports WHERE currency = @currency ORDER BY computed_at DESC, id DESC LIMIT 1;
