package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/workflows"
)

type cancelPaymentRequest struct {
	Reason string `json:"reason"`
}

type createRefundRequest struct {
	Amount int64  `json:"amount"` // with items: optional, their sum
	Reason string `json:"reason"`
	// Items the refund gives back, by producer (ADR 0016); none: the amount
	// is spread over the payment's items.
	Items []refundItemRequest `json:"items"`
}

type refundItemRequest struct {
	ProducerID string `json:"producer_id"`
	Amount     int64  `json:"amount"` // absent: all that is left of the item
}

const maxReasonChars = 500

type refundAnswer struct {
	Refund  refundSummary   `json:"refund"`
	Payment paymentResponse `json:"payment"`
}

type refundSummary struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
	Status string `json:"status"` // succeeded | processing
	Kind   string `json:"kind"`   // cancel | partial
	Reason string `json:"reason"`
	// Points taken back, and the won kept back for spent ones (ADR 0023):
	// only in the answer of a refund that succeeded.
	PointsReversed  *int64 `json:"points_reversed,omitempty"`
	PointsShortfall *int64 `json:"points_shortfall,omitempty"`
}

// cancelPayment gives back everything that remains of a captured payment.
func (s *server) cancelPayment(c echo.Context) error {
	var req cancelPaymentRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	var v validation
	v.text("reason", req.Reason, 0, maxReasonChars)
	if err := v.err(); err != nil {
		return err
	}
	return s.refund(c, "cancel", 0, req.Reason)
}

// createRefund gives back part of a captured payment.
func (s *server) createRefund(c echo.Context) error {
	var req createRefundRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	if len(req.Items) == 0 || req.Amount != 0 {
		v.amount("amount", req.Amount, s.cfg.MaxAmount)
	}
	validateRefundItems(&v, req.Items, s.cfg.MaxAmount)
	v.text("reason", req.Reason, 0, maxReasonChars)
	if err := v.err(); err != nil {
		return err
	}
	items := make([]activities.RefundItem, len(req.Items))
	for i, it := range req.Items {
		items[i] = activities.RefundItem{ProducerID: it.ProducerID, Amount: it.Amount}
	}
	return s.refund(c, "partial", req.Amount, req.Reason, items...)
}

// refund checks the payment can give back the amount (0: all that remains), runs
// the Refund workflow and waits for it within the checkout budget:
// 201 {refund, payment} when it succeeded; 409 payment_not_refundable, 422
// refund_exceeds_remaining, 502 provider_error when it failed; 202 when the
// budget ran out.
func (s *server) refund(c echo.Context, kind string, amount int64, reason string, items ...activities.RefundItem) error {
	ctx := c.Request().Context()
	paymentID := c.Param("id")
	refundID := scopedID(c, "rf_")
	pay, err := s.loadOwnPayment(c, paymentID)
	if err != nil {
		return err
	}
	remaining := pay.CapturedAmount - pay.RefundedAmount
	ranBefore := slices.ContainsFunc(pay.Refunds, func(r refundResponse) bool { return r.ID == refundID })
	if !ranBefore { // a request that ran before (key released after a 202) joins its workflow
		if err := refundable(pay, amount); err != nil {
			return err
		}
		if len(items) > 0 {
			if amount, err = s.itemRefundAmount(ctx, paymentID, items, amount); err != nil {
				return err
			}
		}
	}
	if err := s.claimIdempotency(c); err != nil {
		return err
	}
	if err := s.auditOnce(c, auditRefundRequested, "refund:"+refundID, map[string]any{
		"payment_id": paymentID, "kind": kind, "amount": amount, "reason": reason,
	}); err != nil {
		return err
	}

	in := workflows.RefundInput{
		RefundID:  refundID,
		PaymentID: paymentID,
		Amount:    amount,
		Kind:      kind,
		Reason:    reason,
		Items:     items,

		CashReceiptRetryEvery: s.cfg.CashReceiptRetryEvery,
	}
	workflowID := workflows.RefundID(paymentID, in.RefundID)
	logWorkflow(c, workflowID)
	zerolog.Ctx(ctx).UpdateContext(func(l zerolog.Context) zerolog.Context {
		return l.Str("payment_id", paymentID).Str("refund_id", in.RefundID)
	})
	budget, cancel := context.WithTimeout(ctx, s.cfg.CheckoutBudget)
	defer cancel()
	run, err := s.temporal.ExecuteWorkflow(budget, s.startOptions(c, workflowID), workflows.RefundName, in)
	if err != nil {
		return startError(workflowID, err)
	}
	var res workflows.RefundResult
	pending, err := await(ctx, budget, run, &res)
	if err != nil {
		return internalError(err)
	}

	requested := amount
	if requested == 0 {
		requested = remaining
	}
	if pending {
		pay, err := s.loadPayment(ctx, paymentID)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/payments/"+paymentID)
		s.metrics.Refund(workflows.StatusProcessing)
		return c.JSON(http.StatusAccepted, refundAnswer{
			Refund:  refundSummary{ID: in.RefundID, Amount: requested, Status: workflows.StatusProcessing, Kind: kind, Reason: reason},
			Payment: pay,
		})
	}
	s.metrics.Refund(res.Status)
	switch res.Status {
	case workflows.StatusSucceeded:
		pay, err := s.loadPayment(ctx, paymentID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, refundAnswer{
			Refund: refundSummary{ID: in.RefundID, Amount: res.Amount, Status: res.Status, Kind: kind, Reason: reason,
				PointsReversed: &res.PointsReversed, PointsShortfall: &res.PointsShortfall},
			Payment: pay,
		})
	case workflows.StatusFailed:
		zerolog.Ctx(ctx).Info().Str("failure_code", res.FailureCode).Msg("refund failed")
		switch res.FailureCode {
		case "payment_not_refundable":
			return problem(http.StatusConflict, codePaymentNotRefundable, res.FailureMessage)
		case "amount_exceeds_refundable", codeRefundExceedsRemaining:
			return problem(http.StatusUnprocessableEntity, codeRefundExceedsRemaining, res.FailureMessage)
		case codeRefundItemNotFound, codeRefundExceedsItemLeft:
			return problem(http.StatusUnprocessableEntity, res.FailureCode, res.FailureMessage)
		}
		p := problem(http.StatusBadGateway, codeProviderError,
			fmt.Sprintf("the provider did not refund (%s): %s", res.FailureCode, res.FailureMessage))
		return p
	}
	return internalError(fmt.Errorf("workflow %s returned status %q", workflowID, res.Status))
}

// refundable is nil when amount (0: all that remains) can be given back now.
func refundable(pay paymentResponse, amount int64) error {
	remaining := pay.CapturedAmount - pay.RefundedAmount
	if (pay.Status != workflows.StatusSucceeded && pay.Status != workflows.StatusPartiallyRefunded) || remaining <= 0 {
		return problem(http.StatusConflict, codePaymentNotRefundable,
			fmt.Sprintf("payment %s is %s; only a succeeded or partially refunded payment can be refunded", pay.ID, pay.Status))
	}
	if amount > remaining {
		p := problem(http.StatusUnprocessableEntity, codeRefundExceedsRemaining,
			fmt.Sprintf("amount %d exceeds the %d that remains refundable", amount, remaining))
		p.Errors = []FieldError{{Field: "amount", Message: fmt.Sprintf("must be <= %d", remaining)}}
		return p
	}
	return nil
}

// Problem codes of item-targeted refunds (422).
const (
	codeRefundItemNotFound    = activities.CodeRefundItemNotFound
	codeRefundExceedsItemLeft = activities.CodeRefundExceedsItemRemains
)

// validateRefundItems checks the shape of the items a refund names: each
// producer once, each amount absent (all that is left) or a valid amount.
func validateRefundItems(v *validation, items []refundItemRequest, max int64) {
	if len(items) > maxCheckoutItems {
		v.add(codeValidationFailed, "items", fmt.Sprintf("must hold at most %d items", maxCheckoutItems))
		return
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		field := fmt.Sprintf("items[%d]", i)
		v.id(field+".producer_id", it.ProducerID)
		if seen[it.ProducerID] {
			v.add(codeValidationFailed, field+".producer_id", "appears twice; name each item once")
		}
		seen[it.ProducerID] = true
		if it.Amount != 0 {
			v.amount(field+".amount", it.Amount, max)
		}
	}
}

// itemRefundAmount checks the named items against what is left of each (422
// refund_item_not_found, refund_exceeds_item_remaining) and returns the
// refund's amount, their sum; a given amount must be that sum (422
// items_sum_mismatch). The Refund workflow checks again under the payment's
// lock.
func (s *server) itemRefundAmount(ctx context.Context, paymentID string, items []activities.RefundItem, amount int64) (int64, error) {
	state, err := activities.LoadItemRefunds(ctx, s.q, paymentID)
	if err != nil {
		return 0, internalError(err)
	}
	plan, f := activities.PlanItemRefund(state, items, 0)
	if f != nil {
		p := problem(http.StatusUnprocessableEntity, f.Code, f.Message)
		p.Errors = []FieldError{{Field: "items", Message: f.Message}}
		return 0, p
	}
	var total int64
	for _, a := range plan {
		total += a
	}
	if amount != 0 && amount != total {
		p := problem(http.StatusUnprocessableEntity, codeItemsSumMismatch, fmt.Sprintf("the items come to %d, not the amount %d", total, amount))
		p.Errors = []FieldError{{Field: "amount", Message: fmt.Sprintf("must be %d or absent", total)}}
		return 0, p
	}
	return total, nil
}
