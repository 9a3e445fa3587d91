package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/workflows"
)

// walletCurrency: wallets hold KRW only for now.
const walletCurrency = "KRW"

type walletResponse struct {
	CustomerID       string `json:"customer_id"`
	Currency         string `json:"currency"`
	Balance          int64  `json:"balance"`
	Cap              int64  `json:"cap"`
	DailyTopUpLimit  int64  `json:"daily_topup_limit"`
	ToppedUpToday    int64  `json:"topped_up_today"`
	IdentityVerified bool   `json:"identity_verified"`
}

// getWallet answers the wallet's balance (the ledger's wallet:{customer}
// account; a liability, so minus its raw sum), its cap and today's top-ups.
func (s *server) getWallet(c echo.Context) error {
	cus, err := s.requireCustomer(c, c.Param("customer_id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	raw, err := s.q.AccountBalance(ctx, db.AccountBalanceParams{Account: ledger.Wallet(cus.ID), Currency: walletCurrency})
	if err != nil {
		return internalError(fmt.Errorf("wallet balance of %s: %w", cus.ID, err))
	}
	today, err := s.q.TopUpsTodayTotal(ctx, db.TopUpsTodayTotalParams{CustomerID: cus.ID, Currency: walletCurrency})
	if err != nil {
		return internalError(fmt.Errorf("today's top-ups of %s: %w", cus.ID, err))
	}
	return c.JSON(http.StatusOK, walletResponse{
		CustomerID: cus.ID, Currency: walletCurrency, Balance: -raw, Cap: s.cfg.WalletCap,
		DailyTopUpLimit: s.cfg.WalletDailyTopUp, ToppedUpToday: today, IdentityVerified: cus.IdentityVerifiedAt.Valid,
	})
}

type walletTransaction struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`   // wallet_topup, ...
	Amount    int64     `json:"amount"` // + into the wallet, - out of it
	Currency  string    `json:"currency"`
	PaymentID *string   `json:"payment_id"`
	Reference string    `json:"reference"` // the journal's idempotency key
	CreatedAt time.Time `json:"created_at"`
}

type walletTransactionsResponse struct {
	Data       []walletTransaction `json:"data"`
	NextBefore *int64              `json:"next_before"` // pass as ?before= for the next (older) page
}

const maxPageSize = 100

// listWalletTransactions pages the wallet's ledger postings, newest first:
// ?limit=1..100 (20) and ?before={id} from the previous page's next_before.
func (s *server) listWalletTransactions(c echo.Context) error {
	cus, err := s.requireCustomer(c, c.Param("customer_id"))
	if err != nil {
		return err
	}
	var v validation
	limit, before := int64(20), int64(0)
	if q := c.QueryParam("limit"); q != "" {
		if n, err := strconv.ParseInt(q, 10, 32); err != nil || n < 1 || n > maxPageSize {
			v.add(codeValidationFailed, "limit", fmt.Sprintf("must be an integer within 1..%d", maxPageSize))
		} else {
			limit = n
		}
	}
	if q := c.QueryParam("before"); q != "" {
		if n, err := strconv.ParseInt(q, 10, 64); err != nil || n < 1 {
			v.add(codeValidationFailed, "before", "must be a transaction id")
		} else {
			before = n
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	rows, err := s.q.ListWalletPostings(c.Request().Context(), db.ListWalletPostingsParams{
		Account: ledger.Wallet(cus.ID), BeforeID: before, PageSize: int32(limit),
	})
	if err != nil {
		return internalError(fmt.Errorf("wallet postings of %s: %w", cus.ID, err))
	}
	out := walletTransactionsResponse{Data: make([]walletTransaction, 0, len(rows))}
	for _, r := range rows {
		t := walletTransaction{ID: r.ID, Kind: r.Kind, Amount: -r.Amount, Currency: r.Currency, Reference: r.IdempotencyKey, CreatedAt: r.CreatedAt.Time.UTC()}
		if r.PaymentID.Valid {
			t.PaymentID = &r.PaymentID.String
		}
		out.Data = append(out.Data, t)
	}
	if int64(len(rows)) == limit {
		out.NextBefore = &rows[len(rows)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

type createTopUpRequest struct {
	MethodID string `json:"method_id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func (r createTopUpRequest) validate(maxAmount int64) error {
	var v validation
	v.id("method_id", r.MethodID)
	v.amount("amount", r.Amount, maxAmount)
	if r.Currency != walletCurrency {
		v.add(codeUnsupportedCurrency, "currency", "wallets hold "+walletCurrency)
	}
	return v.err()
}

type topUpResponse struct {
	ID         string           `json:"id"`
	CustomerID string           `json:"customer_id"`
	MethodID   string           `json:"method_id"`
	Amount     int64            `json:"amount"`
	Currency   string           `json:"currency"`
	Status     string           `json:"status"` // processing | succeeded | failed | reversed
	Failure    *failureResponse `json:"failure,omitempty"`
	Workflow   wfLink           `json:"workflow"`
}

// createTopUp runs the TopUp workflow topup-{id} and answers within the budget:
//   - 201 with status succeeded, or failed/reversed with failure {code, message}
//     when the bank declined (a result, like a declined checkout);
//   - 409 identity_verification_required before the customer is verified;
//   - 422 wallet_cap_exceeded or daily_topup_limit_exceeded: nothing is debited;
//   - 202 processing when the budget runs out.
func (s *server) createTopUp(c echo.Context) error {
	customerID := c.Param("customer_id")
	var req createTopUpRequest
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
	if !cus.IdentityVerifiedAt.Valid {
		return problem(http.StatusConflict, codeVerificationRequired,
			"the customer must complete identity verification (POST /v1/identity-verifications) before topping up")
	}
	m, err := s.activeMethodOf(c, customerID, req.MethodID)
	if err != nil {
		return err
	}
	if m.Kind != "bank_account" {
		return problem(http.StatusUnprocessableEntity, codeUnknownPaymentMethod, "top-ups are debited from a registered bank account")
	}
	if err := s.claimIdempotency(c); err != nil {
		return err
	}

	in := workflows.TopUpInput{
		TopUpID: scopedID(c, "top_"), CustomerID: customerID, MethodID: req.MethodID, Currency: req.Currency,
		Amount: req.Amount, Cap: s.cfg.WalletCap, DailyLimit: s.cfg.WalletDailyTopUp, HourlyMax: s.cfg.WalletTopUpsPerHour,
		CashReceipt: s.topUpReceiptPlan(),
	}
	workflowID := workflows.TopUpID(in.TopUpID)
	logWorkflow(c, workflowID)
	out := topUpResponse{ID: in.TopUpID, CustomerID: customerID, MethodID: in.MethodID, Amount: in.Amount,
		Currency: in.Currency, Status: workflows.StatusProcessing, Workflow: wfLink{ID: workflowID}}

	ctx := c.Request().Context()
	budget, cancel := context.WithTimeout(ctx, s.cfg.CheckoutBudget)
	defer cancel()
	opts := s.startOptions(c, workflowID)
	opts.TypedSearchAttributes = temporal.NewSearchAttributes(workflows.CustomerIDKey.ValueSet(customerID),
		workflows.PaymentStatusKey.ValueSet(workflows.StatusProcessing), workflows.AmountKRWKey.ValueSet(in.Amount))
	run, err := s.temporal.ExecuteWorkflow(budget, opts, workflows.TopUpName, in)
	if err != nil {
		return startError(workflowID, err)
	}
	var res workflows.TopUpResult
	pending, err := await(ctx, budget, run, &res)
	switch {
	case err != nil:
		return internalError(err)
	case pending:
		return c.JSON(http.StatusAccepted, out)
	}
	switch res.FailureCode {
	case codeWalletCapExceeded, codeDailyTopUpExceeded:
		return problem(http.StatusUnprocessableEntity, res.FailureCode, res.FailureMessage)
	case codeVerificationRequired:
		return problem(http.StatusConflict, res.FailureCode, res.FailureMessage)
	case codeTopUpVelocityExceeded:
		c.Response().Header().Set("Retry-After", "3600")
		return problem(http.StatusTooManyRequests, res.FailureCode, res.FailureMessage)
	}
	out.Status = res.Status
	if res.FailureCode != "" {
		out.Failure = &failureResponse{Code: res.FailureCode, Message: res.FailureMessage}
	}
	return c.JSON(http.StatusCreated, out)
}

// getTopUp answers one top-up as stored.
func (s *server) getTopUp(c echo.Context) error {
	t, err := s.q.GetTopUp(c.Request().Context(), c.Param("topup_id"))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (t.CustomerID != c.Param("customer_id") || !entitled(c, t.CustomerID))) {
		return problem(http.StatusNotFound, codeTopUpNotFound, "no such top-up")
	}
	if err != nil {
		return internalError(fmt.Errorf("get top-up: %w", err))
	}
	out := topUpResponse{ID: t.ID, CustomerID: t.CustomerID, MethodID: t.MethodID, Amount: t.Amount, Currency: t.Currency,
		Status: t.Status, Workflow: wfLink{ID: t.WorkflowID}}
	if t.FailureCode.Valid {
		out.Failure = &failureResponse{Code: t.FailureCode.String, Message: t.FailureMessage.String}
	}
	return c.JSON(http.StatusOK, out)
}
