package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

type createPaymentMethodRequest struct {
	Type        string              `json:"type"`
	PGAuthKey   string              `json:"pg_auth_key"`
	BankAccount *bankAccountRequest `json:"bank_account"`
}

type bankAccountRequest struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"`
}

var (
	bankCodePattern      = regexp.MustCompile(`^[0-9]{3}$`)
	accountNumberPattern = regexp.MustCompile(`^[0-9]{6,20}$`)
)

// validate normalises the account number (hyphens dropped) and checks the body.
// Messages never quote the account number.
func (r *createPaymentMethodRequest) validate() error {
	var v validation
	switch r.Type {
	case "card":
		v.text("pg_auth_key", r.PGAuthKey, 1, 512)
		if r.BankAccount != nil {
			v.add(codeValidationFailed, "bank_account", "must be absent for type card")
		}
	case "bank_account":
		if r.PGAuthKey != "" {
			v.add(codeValidationFailed, "pg_auth_key", "must be absent for type bank_account")
		}
		if r.BankAccount == nil {
			v.add(codeValidationFailed, "bank_account", "is required for type bank_account")
			break
		}
		b := r.BankAccount
		b.AccountNumber = strings.ReplaceAll(b.AccountNumber, "-", "")
		if !bankCodePattern.MatchString(b.BankCode) {
			v.add(codeValidationFailed, "bank_account.bank_code", "must be a 3-digit bank code")
		}
		if !accountNumberPattern.MatchString(b.AccountNumber) {
			v.add(codeValidationFailed, "bank_account.account_number", "must be 6..20 digits (hyphens allowed)")
		}
		v.text("bank_account.holder_name", b.HolderName, 1, 64)
	case "":
		v.add(codeValidationFailed, "type", "is required: card or bank_account")
	default:
		v.add(codeValidationFailed, "type", "must be card or bank_account")
	}
	return v.err()
}

type paymentMethodResponse struct {
	ID          string               `json:"id"`
	Type        string               `json:"type"`
	Status      string               `json:"status"` // active | processing (registration still running)
	Card        *cardResponse        `json:"card,omitempty"`
	BankAccount *bankAccountResponse `json:"bank_account,omitempty"`
	CreatedAt   *time.Time           `json:"created_at"`
}

type cardResponse struct {
	Brand string `json:"brand"`
	Type  string `json:"type"` // credit | check
	Last4 string `json:"last4"`
}

type bankAccountResponse struct {
	BankCode     string `json:"bank_code"`
	AccountLast4 string `json:"account_last4"`
	HolderName   string `json:"holder_name"`
}

func paymentMethodOf(m db.PaymentMethod) paymentMethodResponse {
	created := m.CreatedAt.Time.UTC()
	out := paymentMethodResponse{ID: m.ID, Type: m.Kind, Status: m.Status, CreatedAt: &created}
	switch m.Kind {
	case "card":
		out.Card = &cardResponse{Brand: m.CardBrand.String, Type: m.CardType.String, Last4: m.CardLast4.String}
	case "bank_account":
		out.BankAccount = &bankAccountResponse{BankCode: m.BankCode.String, AccountLast4: m.AccountLast4.String, HolderName: m.HolderName.String}
	}
	return out
}

// createPaymentMethod registers a card or bank account through the
// RegisterPaymentMethod workflow and waits for it within the checkout budget:
// 201 with the method when active; 422 with the workflow's failure code (503 for
// provider_unavailable); 202 {status: processing} when the budget runs out.
func (s *server) createPaymentMethod(c echo.Context) error {
	customerID := c.Param("id")
	var req createPaymentMethodRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	if _, err := s.requireCustomer(c, customerID); err != nil {
		return err
	}
	if err := s.claimIdempotency(c); err != nil {
		return err
	}

	methodID := scopedID(c, "pm_")
	in := workflows.RegisterMethodInput{
		MethodID:   methodID,
		CustomerID: customerID,
		Kind:       req.Type,
		AuthKey:    req.PGAuthKey,
		PGs:        s.cfg.PGs(),
	}
	if b := req.BankAccount; b != nil {
		in.BankAccount = &workflows.BankAccount{BankCode: b.BankCode, AccountNumber: b.AccountNumber, HolderName: b.HolderName}
	}

	ctx := c.Request().Context()
	budget, cancel := context.WithTimeout(ctx, s.cfg.CheckoutBudget)
	defer cancel()
	workflowID := workflows.RegisterMethodID(methodID)
	logWorkflow(c, workflowID)
	run, err := s.temporal.ExecuteWorkflow(budget, s.startOptions(c, workflowID), workflows.RegisterMethodName, in)
	if err != nil {
		return startError(workflowID, err)
	}
	var res workflows.RegisterMethodResult
	pending, err := await(ctx, budget, run, &res)
	if err != nil {
		return internalError(err)
	}
	if pending {
		return c.JSON(http.StatusAccepted, paymentMethodResponse{ID: methodID, Type: req.Type, Status: workflows.StatusProcessing})
	}
	switch res.Status {
	case "active":
		m, err := s.q.GetPaymentMethod(ctx, methodID)
		if err != nil {
			return internalError(fmt.Errorf("read registered method %s: %w", methodID, err))
		}
		return c.JSON(http.StatusCreated, paymentMethodOf(m))
	case "failed":
		code := res.FailureCode
		if code == "" {
			code = codeRegistrationFailed
		}
		status := http.StatusUnprocessableEntity
		if code == codeProviderUnavailable {
			status = http.StatusServiceUnavailable
		}
		zerolog.Ctx(ctx).Info().Str("failure_code", code).Msg("payment method registration failed")
		return problem(status, code, res.FailureMessage)
	}
	return internalError(fmt.Errorf("workflow %s returned status %q", workflowID, res.Status))
}

type listPaymentMethodsResponse struct {
	Data []paymentMethodResponse `json:"data"`
}

func (s *server) listPaymentMethods(c echo.Context) error {
	customerID := c.Param("id")
	if _, err := s.requireCustomer(c, customerID); err != nil {
		return err
	}
	ms, err := s.q.ListPaymentMethods(c.Request().Context(), customerID)
	if err != nil {
		return internalError(fmt.Errorf("list payment methods of %s: %w", customerID, err))
	}
	out := listPaymentMethodsResponse{Data: make([]paymentMethodResponse, 0, len(ms))}
	for _, m := range ms {
		out.Data = append(out.Data, paymentMethodOf(m))
	}
	return c.JSON(http.StatusOK, out)
}

// deletePaymentMethod answers 204, or 404 when the customer has no such active method.
func (s *server) deletePaymentMethod(c echo.Context) error {
	customerID, methodID := c.Param("id"), c.Param("method_id")
	if _, err := s.requireCustomer(c, customerID); err != nil {
		return err
	}
	n, err := s.q.DeletePaymentMethod(c.Request().Context(), db.DeletePaymentMethodParams{ID: methodID, CustomerID: customerID})
	if err != nil {
		return internalError(fmt.Errorf("delete payment method %s: %w", methodID, err))
	}
	if n == 0 {
		return problem(http.StatusNotFound, codePaymentMethodNotFound,
			fmt.Sprintf("customer %q has no active payment method %q", customerID, methodID))
	}
	return c.NoContent(http.StatusNoContent)
}

// activeMethodOf is the customer's active method, or 422 unknown_payment_method
// (unknown, deleted and foreign methods look the same to the caller).
func (s *server) activeMethodOf(c echo.Context, customerID, methodID string) (db.PaymentMethod, error) {
	m, err := s.q.GetPaymentMethod(c.Request().Context(), methodID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return db.PaymentMethod{}, internalError(fmt.Errorf("get payment method %s: %w", methodID, err))
	}
	if err != nil || m.Status != "active" || m.CustomerID != customerID {
		return db.PaymentMethod{}, unknownMethod(customerID, methodID)
	}
	return m, nil
}

// unknownMethod is the 422 for a method that is unknown, deleted or another
// customer's (the three look the same to the caller).
func unknownMethod(customerID, methodID string) error {
	p := problem(http.StatusUnprocessableEntity, codeUnknownPaymentMethod,
		fmt.Sprintf("payment.method_id %q is not an active payment method of customer %q", methodID, customerID))
	p.Errors = []FieldError{{Field: "payment.method_id", Message: "unknown payment method"}}
	return p
}
