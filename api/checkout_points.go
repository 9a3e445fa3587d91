package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// Points as a checkout tender (issue 15, ADR 0022): the request's checks
// before anything starts. The workflow's hold checks again under the
// customer's lock; these answer the app's mistakes with a 422 that starts
// nothing and holds nothing.
const (
	codeInsufficientPoints        = "insufficient_points"
	codePointsCurrencyUnsupported = "points_currency_unsupported"
)

// validatePointsCurrency: points are kept in the points' currency only
// (walletCurrency), so they cannot pay an order in another.
func (r checkoutRequest) validatePointsCurrency(v *validation) {
	if r.Payment != nil && r.Payment.PointsAmount > 0 && r.Currency != "" && r.Currency != walletCurrency {
		v.add(codePointsCurrencyUnsupported, "payment.points_amount", "points pay orders in "+walletCurrency+" only")
	}
}

// checkPointsAvailable answers 422 insufficient_points when the customer's
// points balance less the points other checkouts hold is short of the
// request's points part.
func (s *server) checkPointsAvailable(ctx context.Context, req checkoutRequest) error {
	if req.Payment.PointsAmount <= 0 {
		return nil
	}
	available, err := s.q.PointsAvailable(ctx, db.PointsAvailableParams{
		Account: ledger.Points(req.CustomerID), CustomerID: req.CustomerID, Currency: req.Currency,
	})
	if err != nil {
		return internalError(fmt.Errorf("points available to %s: %w", req.CustomerID, err))
	}
	if req.Payment.PointsAmount > available {
		msg := fmt.Sprintf("the customer has %d points available", max(available, 0))
		p := problem(http.StatusUnprocessableEntity, codeInsufficientPoints, msg)
		p.Errors = []FieldError{{Field: "payment.points_amount", Message: msg}}
		return p
	}
	return nil
}
