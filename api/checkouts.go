package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"go.temporal.io/api/serviceerror"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

const maxCheckoutItems = 100

type checkoutRequest struct {
	OrderID    string                  `json:"order_id"`
	CustomerID string                  `json:"customer_id"`
	Currency   string                  `json:"currency"`
	Amount     int64                   `json:"amount"`
	Items      []checkoutItemRequest   `json:"items"`
	Payment    *checkoutPaymentRequest `json:"payment"`
	// DeviceID is the app's id of the customer's device (velocity rules, new
	// device step-up); PINToken proves a fresh PIN entry when step-up is needed.
	DeviceID string `json:"device_id"`
	PINToken string `json:"pin_token"`
}

type checkoutItemRequest struct {
	ProducerID string `json:"producer_id"`
	Amount     int64  `json:"amount"`
	// TaxFreeAmount of Amount is tax-free (면세, e.g. fresh produce); default 0.
	TaxFreeAmount int64 `json:"tax_free_amount"`
}

// checkoutPaymentRequest says how the order is paid: wallet_amount (default 0)
// from the customer's wallet, the rest with method_id (absent when the wallet
// pays it all).
type checkoutPaymentRequest struct {
	MethodID     string `json:"method_id"`
	WalletAmount int64  `json:"wallet_amount"`
	// PointsAmount (default 0) is paid with the customer's points (ADR 0022),
	// in the points' currency, within what they have available.
	PointsAmount int64 `json:"points_amount"`
	// InstallmentMonths splits the card part (할부): 0 (default) is 일시불, else 2..12.
	InstallmentMonths int `json:"installment_months"`
}

func (r checkoutRequest) validate(cfg config.Config) error {
	var v validation
	v.id("order_id", r.OrderID)
	v.id("customer_id", r.CustomerID)
	switch {
	case r.Currency == "":
		v.add(codeValidationFailed, "currency", "is required")
	case !slices.Contains(cfg.Currencies, r.Currency):
		v.add(codeUnsupportedCurrency, "currency", fmt.Sprintf("must be one of %v", cfg.Currencies))
	}
	v.amount("amount", r.Amount, cfg.MaxAmount)
	switch {
	case len(r.Items) == 0:
		v.add(codeValidationFailed, "items", "must hold at least one item")
	case len(r.Items) > maxCheckoutItems:
		v.add(codeValidationFailed, "items", fmt.Sprintf("must hold at most %d items", maxCheckoutItems))
	default:
		seen := make(map[string]bool, len(r.Items))
		for i, it := range r.Items {
			field := fmt.Sprintf("items[%d]", i)
			v.id(field+".producer_id", it.ProducerID)
			if seen[it.ProducerID] {
				v.add(codeValidationFailed, field+".producer_id", "appears twice; give each producer one item")
			}
			seen[it.ProducerID] = true
			if it.Amount <= 0 {
				v.add(codeInvalidAmount, field+".amount", "must be > 0")
			}
			if it.TaxFreeAmount < 0 || it.TaxFreeAmount > it.Amount {
				v.add(codeInvalidAmount, field+".tax_free_amount", "must be within 0..the item's amount")
			}
		}
		if sum, ok := sumItems(r.Items); !ok || sum != r.Amount {
			v.add(codeItemsSumMismatch, "items", "the item amounts must add up to amount")
		}
	}
	if r.DeviceID != "" {
		v.id("device_id", r.DeviceID)
	}
	v.text("pin_token", r.PINToken, 0, 100)
	if r.Payment == nil {
		v.add(codeValidationFailed, "payment", "is required")
	} else {
		p := r.Payment
		switch {
		case p.WalletAmount < 0 || p.WalletAmount > r.Amount:
			v.add(codeInvalidAmount, "payment.wallet_amount", "must be within 0..amount")
		case p.PointsAmount < 0 || p.PointsAmount > r.Amount-p.WalletAmount:
			v.add(codeInvalidAmount, "payment.points_amount", "must be within 0..amount - wallet_amount")
		case p.WalletAmount+p.PointsAmount == r.Amount && p.MethodID != "":
			v.add(codeValidationFailed, "payment.method_id", "must be absent when the wallet and points pay the whole amount")
		case p.WalletAmount+p.PointsAmount < r.Amount:
			v.id("payment.method_id", p.MethodID)
		}
		r.validatePointsCurrency(&v)
		r.validateInstallment(&v)
	}
	return v.err()
}

// sumItems adds the positive item amounts, reporting false on int64 overflow.
func sumItems(items []checkoutItemRequest) (int64, bool) {
	var sum int64
	for _, it := range items {
		if it.Amount > 0 && sum > math.MaxInt64-it.Amount {
			return 0, false
		}
		sum += it.Amount
	}
	return sum, true
}

// createCheckout starts the Checkout workflow for the order and waits for its
// outcome within the checkout budget.
//
//   - 201 with the payment when the workflow finished: status succeeded, or
//     failed with failure {code, message}. A decline is a final answer, not an
//     HTTP error: the request itself was fine.
//   - 202 with the payment (status processing) and Location when the budget ran
//     out; the workflow goes on and GET /v1/payments/{id} shows the outcome.
//   - 409 order_in_progress when another request is paying the same order;
//     409 duplicate_order when the order already has a finished payment.
func (s *server) createCheckout(c echo.Context) error {
	c.Set(ctxCheckoutStart, time.Now())
	var req checkoutRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(s.cfg); err != nil {
		return err
	}
	if !entitled(c, req.CustomerID) {
		return problem(http.StatusNotFound, codeCustomerNotFound, fmt.Sprintf("no customer %q", req.CustomerID))
	}
	paymentID := scopedID(c, "pay_")
	windows, err := s.stepUpWindowsOf(c, req)
	if err != nil {
		return err
	}
	// One round trip: the key's claim and every fact the checks below need.
	facts, err := s.claimCheckout(c, req, paymentID, windows)
	if err != nil {
		return err
	}
	interestFreePlan, methodKind, err := s.admitCheckout(c, req, facts, windows)
	if err != nil {
		// A refusal saves nothing: a 403 step_up_required is retried with
		// the same Idempotency-Key and a pin_token.
		s.releaseClaim(c)
		return err
	}

	in := s.checkoutInput(req, paymentID)
	in.IP = clientIP(c)
	in.InterestFreePlan = interestFreePlan
	in.MethodKind = methodKind // a bank account is routed to the connectors that bill accounts
	in.CashReceipt = s.cashReceiptPlan(methodKind, in.WalletAmount)
	workflowID := workflows.CheckoutID(in.OrderID)
	logWorkflow(c, workflowID)
	zerolog.Ctx(c.Request().Context()).UpdateContext(func(l zerolog.Context) zerolog.Context {
		return l.Str("payment_id", in.PaymentID)
	})

	ctx := c.Request().Context()
	budget, cancel := context.WithTimeout(ctx, s.cfg.CheckoutBudget)
	defer cancel()
	opts := s.startOptions(c, workflowID)
	opts.TypedSearchAttributes = workflows.CheckoutSearchAttributes(in)
	opts.WorkflowExecutionErrorWhenAlreadyStarted = true // a closed order is a 409, not its old result
	run, err := s.temporal.ExecuteWorkflow(budget, opts, workflows.CheckoutName, in)
	var alreadyStarted *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &alreadyStarted) {
		return s.closedOrder(c, in)
	}
	if err != nil {
		return startError(workflowID, err)
	}

	var res workflows.CheckoutResult
	pending, err := await(ctx, budget, run, &res)
	switch {
	case err != nil:
		return s.checkoutFromRow(c, in, err)
	case pending:
		return s.checkoutPending(c, in, run.GetRunID())
	case res.PaymentID != in.PaymentID:
		return orderInProgress(in.OrderID, res.PaymentID)
	}

	return s.checkoutFinished(c, in, res)
}

func (s *server) checkoutInput(req checkoutRequest, paymentID string) workflows.CheckoutInput {
	in := workflows.CheckoutInput{
		PaymentID:    paymentID,
		OrderID:      req.OrderID,
		CustomerID:   req.CustomerID,
		MethodID:     req.Payment.MethodID,
		WalletAmount: req.Payment.WalletAmount,
		PointsAmount: req.Payment.PointsAmount,
		Currency:     req.Currency,
		Amount:       req.Amount,
		Items:        make([]workflows.CheckoutItem, 0, len(req.Items)),
		FeeBPS:       s.cfg.FeeBPS,
		PGs:          s.cfg.PGs(),

		AsyncAuthTimeout:  s.cfg.AsyncAuthTimeout,
		DeviceID:          req.DeviceID,
		InstallmentMonths: req.Payment.InstallmentMonths,
	}
	if s.cfg.PointsEarnBPS > 0 {
		in.PointsRateBPS, in.PointsValidity = s.cfg.PointsEarnBPS, s.cfg.PointsValidity
	}
	// Finance's benefit rules in force at the start decide the points rate of
	// the card part (issue 15); with none in force the flat rate above applies.
	in.Benefits, in.PointsValidity = true, s.cfg.PointsValidity
	in.PointsAtConfirmation = s.cfg.PointsEarnAt == config.PointsAtConfirmation
	for _, it := range req.Items {
		in.Items = append(in.Items, workflows.CheckoutItem{ProducerID: it.ProducerID, Amount: it.Amount, TaxFreeAmount: it.TaxFreeAmount})
	}
	return in
}

// checkoutFinished answers 201 with the payment the workflow wrote, its result
// filling in what the row may not show yet.
func (s *server) checkoutFinished(c echo.Context, in workflows.CheckoutInput, res workflows.CheckoutResult) error {
	out, err := s.paymentOrPending(c.Request().Context(), in)
	if err != nil {
		return err
	}
	if res.Status != "" {
		out.Status = res.Status
	}
	if res.PG != "" && out.PG == nil {
		out.PG = &res.PG
	}
	if res.FailureCode != "" && out.Failure == nil {
		out.Failure = &failureResponse{Code: res.FailureCode, Message: res.FailureMessage}
	}
	s.observeCheckout(c, out.Status)
	return c.JSON(http.StatusCreated, out)
}

const ctxCheckoutStart = "paysaga.checkout_start"

// observeCheckout counts an answered checkout and how long it took.
func (s *server) observeCheckout(c echo.Context, outcome string) {
	if start, ok := c.Get(ctxCheckoutStart).(time.Time); ok {
		s.metrics.Checkout(outcome, time.Since(start))
	}
}

// paymentOrPending is the payment as stored, or as requested while the
// workflow has not written it yet.
func (s *server) paymentOrPending(ctx context.Context, in workflows.CheckoutInput) (paymentResponse, error) {
	out, err := s.loadPayment(ctx, in.PaymentID)
	var p *Problem
	if errors.As(err, &p) && p.Status == http.StatusNotFound {
		return s.pendingPayment(in, workflows.CheckoutID(in.OrderID)), nil
	}
	return out, err
}

// checkoutPending answers 202 once the budget ran out, unless the running
// workflow this request joined belongs to another request for the same order.
func (s *server) checkoutPending(c echo.Context, in workflows.CheckoutInput, runID string) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
	defer cancel()
	workflowID := workflows.CheckoutID(in.OrderID)
	var started workflows.CheckoutInput
	if err := s.startedInput(ctx, workflowID, runID, &started); err != nil {
		return internalError(err)
	}
	if started.PaymentID != in.PaymentID {
		return orderInProgress(in.OrderID, started.PaymentID)
	}
	out, err := s.paymentOrPending(ctx, in)
	if err != nil {
		return err
	}
	return s.answerPayment(c, out)
}

// closedOrder answers a checkout for an order whose workflow already closed:
// the same request again (a retry after a released key) gets its payment;
// anything else is 409 duplicate_order.
func (s *server) closedOrder(c echo.Context, in workflows.CheckoutInput) error {
	ctx := c.Request().Context()
	existing, err := s.q.GetPaymentByOrder(ctx, in.OrderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusConflict, codeDuplicateOrder, fmt.Sprintf("order %q was already processed", in.OrderID))
	}
	if err != nil {
		return internalError(fmt.Errorf("get payment of order %s: %w", in.OrderID, err))
	}
	if existing.ID != in.PaymentID {
		return problem(http.StatusConflict, codeDuplicateOrder,
			fmt.Sprintf("order %q already has payment %s (status %s)", in.OrderID, existing.ID, existing.Status))
	}
	out, err := s.loadPayment(ctx, existing.ID)
	if err != nil {
		return err
	}
	return s.answerPayment(c, out)
}

// checkoutFromRow answers when the workflow ended without a result (failed,
// terminated): a final payment row still is the answer; otherwise 500.
func (s *server) checkoutFromRow(c echo.Context, in workflows.CheckoutInput, wfErr error) error {
	out, err := s.loadPayment(c.Request().Context(), in.PaymentID)
	if err != nil || !finalPaymentStatus(out.Status) {
		return internalError(wfErr)
	}
	zerolog.Ctx(c.Request().Context()).Warn().Err(wfErr).Msg("checkout workflow ended without a result; answered from the payment row")
	return c.JSON(http.StatusCreated, out)
}

// answerPayment is 201 for a payment in a final state, 202 with Location otherwise.
func (s *server) answerPayment(c echo.Context, out paymentResponse) error {
	s.observeCheckout(c, out.Status)
	if finalPaymentStatus(out.Status) {
		return c.JSON(http.StatusCreated, out)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/payments/"+out.ID)
	return c.JSON(http.StatusAccepted, out)
}

func finalPaymentStatus(status string) bool {
	return status != workflows.StatusProcessing && status != workflows.StatusAuthorized
}

func orderInProgress(orderID, otherPaymentID string) error {
	return problem(http.StatusConflict, codeOrderInProgress,
		fmt.Sprintf("order %q is being paid by another request (payment %s)", orderID, otherPaymentID))
}

// startError maps a failed workflow start: the service not answering is 503
// (retry with the same Idempotency-Key); anything else is ours to fix (500).
func startError(workflowID string, err error) error {
	err = fmt.Errorf("start workflow %s: %w", workflowID, err)
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded) {
		return temporalUnavailable(err)
	}
	return internalError(err)
}

// admitCheckout runs the checks before the workflow starts on the facts the
// claim read: the customer, the method, the installment plan and the
// step-up; it returns the interest-free plan and the method's kind. A request
// that ran before (its key released after a 202) skips them and joins its
// workflow.
func (s *server) admitCheckout(c echo.Context, req checkoutRequest, facts db.ClaimCheckoutRow, windows stepUpWindows) (plan, methodKind string, err error) {
	if facts.RanBefore {
		return "", "", nil
	}
	if plan, err = s.checkCheckoutFacts(req, facts); err != nil {
		return "", "", err
	}
	// The points balance costs its own round trip, only for a checkout that
	// pays with points; a column of ClaimCheckout could carry it instead.
	if err := s.checkPointsAvailable(c.Request().Context(), req); err != nil {
		return "", "", err
	}
	if err := s.stepUp(c, req, facts, windows); err != nil {
		return "", "", err
	}
	return plan, facts.MethodKind, nil
}

// checkCheckoutFacts answers as requireCustomer and activeMethodOf would
// (404 customer_not_found, 422 unknown_payment_method), from the claim's
// one round trip, and the interest-free plan covering the installments.
func (s *server) checkCheckoutFacts(req checkoutRequest, f db.ClaimCheckoutRow) (string, error) {
	if !f.CustomerFound {
		return "", problem(http.StatusNotFound, codeCustomerNotFound, fmt.Sprintf("no customer %q", req.CustomerID))
	}
	if req.Payment.MethodID == "" {
		return "", nil
	}
	if !f.MethodFound || f.MethodStatus != "active" || f.MethodCustomerID != req.CustomerID {
		return "", unknownMethod(req.CustomerID, req.Payment.MethodID)
	}
	return s.interestFreePlan(db.PaymentMethod{ID: req.Payment.MethodID, CustomerID: f.MethodCustomerID,
		Kind: f.MethodKind, Status: f.MethodStatus, CardBrand: f.MethodCardBrand}, req)
}

// clientIP is the peer's address. Forwarding headers are not trusted: any
// caller could set them to dodge a per-IP velocity rule.
func clientIP(c echo.Context) string {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}
