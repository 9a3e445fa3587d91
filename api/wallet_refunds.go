package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/workflows"
)

// Wallet refund problem codes (잔액 환불, issue 15 part B).
const (
	codeInsufficientWalletBalance = "insufficient_wallet_balance"
	codeWalletRefundBelowMinimum  = "wallet_refund_below_minimum"
	codeWalletRefundNotFound      = "wallet_refund_not_found"
)

type createWalletRefundRequest struct {
	MethodID string `json:"method_id"`
	Amount   *int64 `json:"amount"` // omitted: the whole available balance
	Currency string `json:"currency"`
}

func (r createWalletRefundRequest) validate(maxAmount int64) error {
	var v validation
	v.id("method_id", r.MethodID)
	if r.Amount != nil {
		v.amount("amount", *r.Amount, maxAmount)
	}
	if r.Currency != walletCurrency {
		v.add(codeUnsupportedCurrency, "currency", "wallets hold "+walletCurrency)
	}
	return v.err()
}

type walletRefundResponse struct {
	ID         string           `json:"id"`
	CustomerID string           `json:"customer_id"`
	MethodID   string           `json:"method_id"`
	Amount     int64            `json:"amount"` // out of the wallet
	Fee        int64            `json:"fee"`    // kept; the bank account receives amount - fee
	Currency   string           `json:"currency"`
	Status     string           `json:"status"` // processing | succeeded | failed
	Failure    *failureResponse `json:"failure,omitempty"`
	Workflow   wfLink           `json:"workflow"`
}

// createWalletRefund runs the WalletRefund workflow wallet-refund-{id} and
// answers within the budget, like a top-up: 201 succeeded or failed (the bank
// refused: the balance is back), 4xx when a condition is not met (nothing
// moved), 202 processing past the budget.
func (s *server) createWalletRefund(c echo.Context) error {
	customerID := c.Param("customer_id")
	var req createWalletRefundRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(s.cfg.MaxAmount); err != nil {
		return err
	}
	cus, err := s.requireCustomer(c, customerID)
	if err != nil {
		return err
	}
	if s.cfg.WalletRefundVerifiedOnly && !cus.IdentityVerifiedAt.Valid {
		return problem(http.StatusConflict, codeVerificationRequired, "only identity-verified customers may refund their wallet balance")
	}
	m, err := s.activeMethodOf(c, customerID, req.MethodID)
	if err != nil {
		return err
	}
	if m.Kind != "bank_account" {
		return problem(http.StatusUnprocessableEntity, codeUnknownPaymentMethod, "a wallet refund goes to a registered bank account")
	}
	if err := s.claimIdempotency(c); err != nil {
		return err
	}
	in := workflows.WalletRefundInput{
		RefundID: scopedID(c, "wr_"), CustomerID: customerID, MethodID: req.MethodID, Currency: req.Currency,
		Rules: activities.WalletRefundRules{MinAmount: s.cfg.WalletRefundMin, Fee: s.cfg.WalletRefundFee, RequireVerified: s.cfg.WalletRefundVerifiedOnly},
	}
	if req.Amount != nil {
		in.Amount = *req.Amount
	}
	workflowID := workflows.WalletRefundID(in.RefundID)
	logWorkflow(c, workflowID)
	out := walletRefundResponse{ID: in.RefundID, CustomerID: customerID, MethodID: in.MethodID, Amount: in.Amount,
		Currency: in.Currency, Status: workflows.WalletRefundProcessing, Workflow: wfLink{ID: workflowID}}

	ctx := c.Request().Context()
	budget, cancel := context.WithTimeout(ctx, s.cfg.CheckoutBudget)
	defer cancel()
	opts := s.startOptions(c, workflowID)
	opts.TypedSearchAttributes = temporal.NewSearchAttributes(workflows.CustomerIDKey.ValueSet(customerID),
		workflows.PaymentStatusKey.ValueSet(workflows.WalletRefundProcessing))
	run, err := s.temporal.ExecuteWorkflow(budget, opts, workflows.WalletRefundName, in)
	if err != nil {
		return startError(workflowID, err)
	}
	var res workflows.WalletRefundResult
	pending, err := await(ctx, budget, run, &res)
	switch {
	case err != nil:
		return internalError(err)
	case pending:
		return c.JSON(http.StatusAccepted, out)
	}
	switch res.FailureCode {
	case codeInsufficientWalletBalance, codeWalletRefundBelowMinimum, codeUnknownPaymentMethod:
		return problem(http.StatusUnprocessableEntity, res.FailureCode, res.FailureMessage)
	case codeVerificationRequired:
		return problem(http.StatusConflict, res.FailureCode, res.FailureMessage)
	}
	out.Status, out.Amount, out.Fee = res.Status, res.Amount, res.Fee
	if res.FailureCode != "" {
		out.Failure = &failureResponse{Code: res.FailureCode, Message: res.FailureMessage}
	}
	return c.JSON(http.StatusCreated, out)
}

// getWalletRefund answers one wallet refund as stored.
func (s *server) getWalletRefund(c echo.Context) error {
	r, err := s.q.GetWalletRefund(c.Request().Context(), c.Param("refund_id"))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (r.CustomerID != c.Param("customer_id") || !entitled(c, r.CustomerID))) {
		return problem(http.StatusNotFound, codeWalletRefundNotFound, "no such wallet refund")
	}
	if err != nil {
		return internalError(fmt.Errorf("get wallet refund: %w", err))
	}
	out := walletRefundResponse{ID: r.ID, CustomerID: r.CustomerID, MethodID: r.MethodID, Amount: r.Amount, Fee: r.Fee,
		Currency: r.Currency, Status: r.Status, Workflow: wfLink{ID: r.WorkflowID}}
	if r.FailureCode.Valid {
		out.Failure = &failureResponse{Code: r.FailureCode.String, Message: r.FailureMessage.String}
	}
	return c.JSON(http.StatusOK, out)
}
