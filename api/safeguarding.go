package api

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// safeguardingResponse is GET /v1/reports/safeguarding: the ledger's prepaid
// liabilities now against the safeguard account balance the operator last recorded.
type safeguardingResponse struct {
	Currency          string     `json:"currency"`
	WalletLiabilities int64      `json:"wallet_liabilities"`
	PointsLiabilities int64      `json:"points_liabilities"`
	Liabilities       int64      `json:"liabilities"`
	Safeguarded       int64      `json:"safeguarded"`
	SafeguardedAsOf   *time.Time `json:"safeguarded_as_of"` // null: no balance recorded yet
	CoverageBPS       int64      `json:"coverage_bps"`
	Covered           bool       `json:"covered"`
}

func (s *server) getSafeguardingReport(c echo.Context) error {
	currency := c.QueryParam("currency")
	if currency == "" {
		currency = walletCurrency
	}
	if !slices.Contains(s.cfg.Currencies, currency) {
		var v validation
		v.add(codeUnsupportedCurrency, "currency", fmt.Sprintf("must be one of %v", s.cfg.Currencies))
		return v.err()
	}
	r, err := ledger.ComputeSafeguarding(c.Request().Context(), s.q, currency)
	if err != nil {
		return internalError(err)
	}
	out := safeguardingResponse{Currency: currency, WalletLiabilities: r.WalletLiabilities, PointsLiabilities: r.PointsLiabilities,
		Liabilities: r.Liabilities(), Safeguarded: r.Safeguarded, CoverageBPS: r.CoverageBPS, Covered: r.Covered()}
	if !r.SafeguardedAsOf.IsZero() {
		at := r.SafeguardedAsOf.UTC()
		out.SafeguardedAsOf = &at
	}
	return c.JSON(http.StatusOK, out)
}

type safeguardBalanceRequest struct {
	Currency string    `json:"currency"`
	Amount   int64     `json:"amount"`
	AsOf     time.Time `json:"as_of"`
}

type safeguardBalanceResponse struct {
	ID         int64     `json:"id"`
	Currency   string    `json:"currency"`
	Amount     int64     `json:"amount"`
	AsOf       time.Time `json:"as_of"`
	RecordedAt time.Time `json:"recorded_at"`
}

// recordSafeguardBalance is POST /v1/safeguard-balances (finance): the
// segregated account's balance per the bank's statement, kept as recorded.
func (s *server) recordSafeguardBalance(c echo.Context) error {
	var req safeguardBalanceRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	if !slices.Contains(s.cfg.Currencies, req.Currency) {
		v.add(codeUnsupportedCurrency, "currency", fmt.Sprintf("must be one of %v", s.cfg.Currencies))
	}
	if req.Amount < 0 {
		v.add(codeInvalidAmount, "amount", "must be >= 0")
	}
	if req.AsOf.IsZero() || req.AsOf.After(time.Now().Add(5*time.Minute)) {
		v.add(codeValidationFailed, "as_of", "is required and not in the future")
	}
	if err := v.err(); err != nil {
		return err
	}
	row, err := s.q.RecordSafeguardBalance(c.Request().Context(), db.RecordSafeguardBalanceParams{
		Currency: req.Currency, Amount: req.Amount, AsOf: pgtype.Timestamptz{Time: req.AsOf, Valid: true}, RecordedBy: callerOf(c).ID,
	})
	if err != nil {
		return internalError(fmt.Errorf("record safeguard balance: %w", err))
	}
	return c.JSON(http.StatusCreated, safeguardBalanceResponse{ID: row.ID, Currency: row.Currency, Amount: row.Amount,
		AsOf: row.AsOf.Time.UTC(), RecordedAt: row.RecordedAt.Time.UTC()})
}
