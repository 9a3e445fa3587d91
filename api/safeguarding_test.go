package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// The report is the ledger's prepaid liabilities to the won (wallets and
// points, nothing else) against the latest safeguard balance finance recorded.
func TestSafeguardingReport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	post := func(j ledger.Journal) {
		require.NoError(t, pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
			_, err := ledger.Post(ctx, db.New(tx), j)
			return err
		}))
	}
	post(ledger.TopUpJournal("tu1", "cus_a", "KRW", 50_000))
	post(ledger.TopUpJournal("tu2", "cus_b", "KRW", 20_001))
	post(ledger.EarnPointsJournal(ledger.PointsEarnKey("pay_1"), "", "cus_a", "KRW", 750))
	// Not prepaid money: a card capture and the points' own funding and breakage accounts.
	post(ledger.CaptureJournal("pay_1", "alpha", "KRW", []ledger.Item{{ProducerID: "farm", Amount: 15_000, Fee: 450}}))
	post(ledger.ExpirePointsJournal(1, "cus_a", "KRW", 50))

	report := func() map[string]any {
		res := f.do(request{method: http.MethodGet, path: "/v1/reports/safeguarding", role: roleFinance})
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		return res.json()
	}
	got := report()
	require.EqualValues(t, 70_001, got["wallet_liabilities"])
	require.EqualValues(t, 700, got["points_liabilities"])
	require.EqualValues(t, 70_701, got["liabilities"])
	require.EqualValues(t, 0, got["safeguarded"])
	require.Nil(t, got["safeguarded_as_of"])
	require.Equal(t, false, got["covered"])

	record := func(amount int64, asOf time.Time) {
		res := f.do(request{method: http.MethodPost, path: "/v1/safeguard-balances", role: roleFinance,
			body: fmt.Sprintf(`{"currency":"KRW","amount":%d,"as_of":%q}`, amount, asOf.Format(time.RFC3339))})
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	}
	now := time.Now().UTC().Truncate(time.Second)
	record(70_700, now.Add(-time.Hour)) // one won short
	got = report()
	require.EqualValues(t, 70_700, got["safeguarded"])
	require.EqualValues(t, 9_999, got["coverage_bps"])
	require.Equal(t, false, got["covered"])

	record(80_000, now)
	record(1, now.Add(-2*time.Hour)) // an older statement recorded late does not count
	got = report()
	require.EqualValues(t, 80_000, got["safeguarded"])
	require.Equal(t, now.Format(time.RFC3339), got["safeguarded_as_of"])
	require.Equal(t, true, got["covered"])

	for name, tc := range map[string]struct{ body, code string }{
		"negative amount":  {`{"currency":"KRW","amount":-1,"as_of":"2026-01-01T00:00:00Z"}`, codeInvalidAmount},
		"unknown currency": {`{"currency":"USD","amount":1,"as_of":"2026-01-01T00:00:00Z"}`, codeUnsupportedCurrency},
		"no as_of":         {`{"currency":"KRW","amount":1}`, codeValidationFailed},
		"future as_of":     {fmt.Sprintf(`{"currency":"KRW","amount":1,"as_of":%q}`, now.Add(time.Hour).Format(time.RFC3339)), codeValidationFailed},
	} {
		t.Run(name, func(t *testing.T) {
			f.do(request{method: http.MethodPost, path: "/v1/safeguard-balances", role: roleFinance, body: tc.body}).problem(http.StatusUnprocessableEntity, tc.code)
		})
	}
	f.do(request{method: http.MethodGet, path: "/v1/reports/safeguarding?currency=USD", role: roleOps}).problem(http.StatusUnprocessableEntity, codeUnsupportedCurrency)
	require.Equal(t, 3, f.count("safeguard_balances"), "bad input records nothing")
}
