package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// pointsResponse is a customer's points: the balance the ledger owes
// (points:{customer}) and the buckets it is made of, in the order they are
// spent and expire (FIFO).
type pointsResponse struct {
	CustomerID string                 `json:"customer_id"`
	Currency   string                 `json:"currency"`
	Balance    int64                  `json:"balance"`
	Buckets    []pointsBucketResponse `json:"buckets"`
}

type pointsBucketResponse struct {
	Amount    int64     `json:"amount"`    // earned
	Remaining int64     `json:"remaining"` // still to spend
	PaymentID *string   `json:"payment_id"`
	EarnedAt  time.Time `json:"earned_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// getPoints answers GET /v1/points/{customer_id}.
func (s *server) getPoints(c echo.Context) error {
	cus, err := s.requireCustomer(c, c.Param("customer_id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	raw, err := s.q.AccountBalance(ctx, db.AccountBalanceParams{Account: ledger.Points(cus.ID), Currency: walletCurrency})
	if err != nil {
		return internalError(fmt.Errorf("points balance of %s: %w", cus.ID, err))
	}
	rows, err := s.q.ListPointsBuckets(ctx, cus.ID)
	if err != nil {
		return internalError(fmt.Errorf("points buckets of %s: %w", cus.ID, err))
	}
	out := pointsResponse{CustomerID: cus.ID, Currency: walletCurrency, Balance: -raw, Buckets: make([]pointsBucketResponse, 0, len(rows))}
	for _, b := range rows {
		if b.Currency != walletCurrency {
			continue
		}
		out.Buckets = append(out.Buckets, pointsBucketResponse{Amount: b.Amount, Remaining: b.Remaining, PaymentID: nullable(b.PaymentID.String),
			EarnedAt: b.EarnedAt.Time.UTC(), ExpiresAt: b.ExpiresAt.Time.UTC()})
	}
	return c.JSON(http.StatusOK, out)
}
