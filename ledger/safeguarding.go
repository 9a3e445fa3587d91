package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysaga/paysaga/db"
)

// FullCoverageBPS is 100%: the safeguarded balance covers every prepaid liability.
const FullCoverageBPS = 10_000

// CoverageBPS is safeguarded / liabilities in basis points, rounded down (a
// shortfall of one won shows below 100%). No liabilities are fully covered.
func CoverageBPS(safeguarded, liabilities int64) int64 {
	if liabilities <= 0 {
		return FullCoverageBPS
	}
	if safeguarded <= 0 {
		return 0
	}
	return mulDiv(safeguarded, FullCoverageBPS, liabilities)
}

// Safeguarding is the prepaid liabilities the ledger holds against the
// segregated balance the operator last recorded (issue 15).
type Safeguarding struct {
	Currency          string
	WalletLiabilities int64 // sum of the wallet:{customer} balances
	PointsLiabilities int64 // sum of the points:{customer} balances
	Safeguarded       int64 // the latest recorded safeguard account balance; 0 when none
	SafeguardedAsOf   time.Time
	CoverageBPS       int64
}

// Liabilities is everything owed in prepaid value.
func (s Safeguarding) Liabilities() int64 { return s.WalletLiabilities + s.PointsLiabilities }

// Covered: the safeguarded balance is at least the liabilities.
func (s Safeguarding) Covered() bool { return s.CoverageBPS >= FullCoverageBPS }

// ComputeSafeguarding reads the liabilities and the latest safeguard balance with q.
func ComputeSafeguarding(ctx context.Context, q *db.Queries, currency string) (Safeguarding, error) {
	l, err := q.PrepaidLiabilities(ctx, currency)
	if err != nil {
		return Safeguarding{}, fmt.Errorf("prepaid liabilities: %w", err)
	}
	out := Safeguarding{Currency: currency, WalletLiabilities: l.Wallets, PointsLiabilities: l.Points}
	b, err := q.LatestSafeguardBalance(ctx, currency)
	switch {
	case err == nil:
		out.Safeguarded, out.SafeguardedAsOf = b.Amount, b.AsOf.Time
	case !errors.Is(err, pgx.ErrNoRows):
		return Safeguarding{}, fmt.Errorf("latest safeguard balance: %w", err)
	}
	out.CoverageBPS = CoverageBPS(out.Safeguarded, out.Liabilities())
	return out, nil
}
