package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/testenv"
)

// A run stores its report once; below 100% it raises safeguarding.shortfall once.
func TestSafeguardingReportAndShortfall(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	q := db.New(pool)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(ctx, db.New(tx), ledger.TopUpJournal("tu1", "cus_a", "KRW", 10_000))
		return err
	}))
	s := &activities.Safeguarding{Pool: pool}
	at := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC)
	shortfalls := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'safeguarding.shortfall'`).Scan(&n))
		return n
	}

	for range 2 { // a retried run
		r, err := s.ComputeSafeguarding(ctx, activities.SafeguardingInput{ReportKey: "run-1", Currency: "KRW", At: at})
		require.NoError(t, err)
		require.Equal(t, activities.SafeguardingResult{Liabilities: 10_000, Safeguarded: 0, CoverageBPS: 0}, r)
	}
	require.Equal(t, 1, shortfalls())

	_, err := q.RecordSafeguardBalance(ctx, db.RecordSafeguardBalanceParams{Currency: "KRW", Amount: 10_000, AsOf: tstz(at), RecordedBy: "test"})
	require.NoError(t, err)
	r, err := s.ComputeSafeguarding(ctx, activities.SafeguardingInput{ReportKey: "run-2", Currency: "KRW", At: at.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.EqualValues(t, ledger.FullCoverageBPS, r.CoverageBPS)
	require.Equal(t, 1, shortfalls(), "covered: no alert")
	latest, err := q.LatestSafeguardingReport(ctx, "KRW")
	require.NoError(t, err)
	require.Equal(t, "run-2", latest.ReportKey)
	require.EqualValues(t, 10_000, latest.Safeguarded)
}

func tstz(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }
