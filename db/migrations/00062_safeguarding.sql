-- +goose Up

-- Safeguarding (issue 15): prepaid money (wallet balances and points) must be
-- held in full in a segregated account. The operator records that account's
-- balance (append-only: every statement kept); a daily run compares it with the
-- ledger's prepaid liabilities and keeps its report.
CREATE TABLE safeguard_balances (
    id          bigserial PRIMARY KEY,
    currency    text NOT NULL CHECK (length(currency) = 3),
    amount      bigint NOT NULL CHECK (amount >= 0),
    as_of       timestamptz NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE safeguarding_reports (
    id                 bigserial PRIMARY KEY,
    report_key         text NOT NULL UNIQUE, -- the run's workflow id: one report per run
    currency           text NOT NULL,
    wallet_liabilities bigint NOT NULL,
    points_liabilities bigint NOT NULL,
    safeguarded        bigint NOT NULL,
    coverage_bps       bigint NOT NULL,
    computed_at        timestamptz NOT NULL
);

-- +goose Down
DROP TABLE safeguarding_reports;
DROP TABLE safeguard_balances;
