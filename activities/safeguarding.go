package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// Safeguarding computes the daily safeguarding report (issue 15).
type Safeguarding struct {
	Pool *pgxpool.Pool
}

// EventSafeguardingShortfall alerts finance that prepaid liabilities exceed
// the safeguarded balance (coverage below 100%).
const EventSafeguardingShortfall = "safeguarding.shortfall"

type SafeguardingInput struct {
	ReportKey string // the run's workflow id: one report per run
	Currency  string
	At        time.Time
}

type SafeguardingResult struct {
	Liabilities, Safeguarded, CoverageBPS int64
}

// ComputeSafeguarding stores the report and, below 100%, the shortfall event,
// in one transaction; a retried run stores nothing twice.
func (s *Safeguarding) ComputeSafeguarding(ctx context.Context, in SafeguardingInput) (SafeguardingResult, error) {
	var out SafeguardingResult
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		r, err := ledger.ComputeSafeguarding(ctx, q, in.Currency)
		if err != nil {
			return err
		}
		out = SafeguardingResult{Liabilities: r.Liabilities(), Safeguarded: r.Safeguarded, CoverageBPS: r.CoverageBPS}
		n, err := q.InsertSafeguardingReport(ctx, db.InsertSafeguardingReportParams{
			ReportKey: in.ReportKey, Currency: in.Currency, WalletLiabilities: r.WalletLiabilities, PointsLiabilities: r.PointsLiabilities,
			Safeguarded: r.Safeguarded, CoverageBps: r.CoverageBPS, ComputedAt: timestamptz(in.At),
		})
		if err != nil {
			return fmt.Errorf("store safeguarding report %s: %w", in.ReportKey, err)
		}
		if n == 0 || r.Covered() {
			return nil
		}
		return emitEvent(ctx, q, EventSafeguardingShortfall, "safeguarding:"+in.ReportKey+":shortfall", "", map[string]any{
			"currency": in.Currency, "liabilities": r.Liabilities(), "wallet_liabilities": r.WalletLiabilities,
			"points_liabilities": r.PointsLiabilities, "safeguarded": r.Safeguarded, "coverage_bps": r.CoverageBPS,
		})
	})
	return out, err
}
