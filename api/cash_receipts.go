package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/bizreg"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// The customer's cash-receipt preference (현금영수증). The phone or business
// number is sealed (package pii) before it is stored and never answered back:
// responses show its last four digits. "none" removes it, and receipts go to
// the NTS self-issue number.

const (
	receiptIncomeDeduction = "income_deduction"
	receiptProof           = "proof"
	receiptNone            = "none"
)

type cashReceiptPreferenceRequest struct {
	Type           string `json:"type"`
	PhoneNumber    string `json:"phone_number"`
	BusinessNumber string `json:"business_number"`
}

type cashReceiptPreferenceResponse struct {
	CustomerID    string     `json:"customer_id"`
	Type          string     `json:"type"`
	IdentityLast4 *string    `json:"identity_last4"` // null for none
	UpdatedAt     *time.Time `json:"updated_at"`     // null for none
}

// mobileNumber is a Korean mobile number, digits only after hyphens are dropped.
var mobileNumber = regexp.MustCompile(`^01[016789][0-9]{7,8}$`)

// identity validates the request and answers the digits to seal.
func (r cashReceiptPreferenceRequest) identity() (string, error) {
	var v validation
	phone := strings.ReplaceAll(r.PhoneNumber, "-", "")
	switch r.Type {
	case receiptIncomeDeduction:
		if !mobileNumber.MatchString(phone) {
			v.add(codeInvalidPhoneNumber, "phone_number", "must be a mobile number such as 010-1234-5678")
		}
		if r.BusinessNumber != "" {
			v.add(codeValidationFailed, "business_number", "is only for type proof")
		}
	case receiptProof:
		if !bizreg.Valid(bizreg.Normalize(r.BusinessNumber)) {
			v.add(codeInvalidBusinessRegistration, "business_number", "must be a valid 10-digit business registration number")
		}
		if r.PhoneNumber != "" {
			v.add(codeValidationFailed, "phone_number", "is only for type income_deduction")
		}
	case receiptNone:
		if r.PhoneNumber != "" || r.BusinessNumber != "" {
			v.add(codeValidationFailed, "type", "none takes no number")
		}
	default:
		v.add(codeValidationFailed, "type", "must be income_deduction, proof or none")
	}
	if err := v.err(); err != nil {
		return "", err
	}
	if r.Type == receiptProof {
		return bizreg.Normalize(r.BusinessNumber), nil
	}
	return phone, nil
}

// putCashReceiptPreference sets (or with none clears) the preference.
func (s *server) putCashReceiptPreference(c echo.Context) error {
	var req cashReceiptPreferenceRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	digits, err := req.identity()
	if err != nil {
		return err
	}
	cus, err := s.requireCustomer(c, c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if req.Type == receiptNone {
		if err := s.q.DeleteCashReceiptPreference(ctx, cus.ID); err != nil {
			return internalError(fmt.Errorf("clear receipt preference of %s: %w", cus.ID, err))
		}
		return c.JSON(http.StatusOK, cashReceiptPreferenceResponse{CustomerID: cus.ID, Type: receiptNone})
	}
	sealed, err := s.pii.Seal(digits)
	if err != nil {
		return internalError(fmt.Errorf("seal receipt identity: %w", err))
	}
	row, err := s.q.UpsertCashReceiptPreference(ctx, db.UpsertCashReceiptPreferenceParams{
		CustomerID: cus.ID, ReceiptType: req.Type, IdentitySealed: sealed, IdentityLast4: digits[len(digits)-4:],
	})
	if err != nil {
		return internalError(fmt.Errorf("store receipt preference of %s: %w", cus.ID, err))
	}
	return c.JSON(http.StatusOK, preferenceOf(row))
}

// getCashReceiptPreference answers the preference; none when there is none.
func (s *server) getCashReceiptPreference(c echo.Context) error {
	cus, err := s.requireCustomer(c, c.Param("id"))
	if err != nil {
		return err
	}
	row, err := s.q.GetCashReceiptPreference(c.Request().Context(), cus.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return c.JSON(http.StatusOK, cashReceiptPreferenceResponse{CustomerID: cus.ID, Type: receiptNone})
	}
	if err != nil {
		return internalError(fmt.Errorf("get receipt preference of %s: %w", cus.ID, err))
	}
	return c.JSON(http.StatusOK, preferenceOf(row))
}

func preferenceOf(row db.CustomerCashReceiptPreference) cashReceiptPreferenceResponse {
	at := row.UpdatedAt.Time.UTC()
	return cashReceiptPreferenceResponse{CustomerID: row.CustomerID, Type: row.ReceiptType, IdentityLast4: &row.IdentityLast4, UpdatedAt: &at}
}

// cashReceiptPlan says which tenders of a checkout owe a cash receipt: a bank
// account's part, and the wallet's when receipts are issued at spend
// (PAYSAGA_CASH_RECEIPT_AT=spend; at top-up, the default, the wallet's money
// was receipted when it came in). Cards (and points) owe none: nil.
func (s *server) cashReceiptPlan(methodKind string, walletAmount int64) *workflows.CashReceiptPlan {
	p := workflows.CashReceiptPlan{
		Method: methodKind == "bank_account",
		Wallet: walletAmount > 0 && s.cfg.CashReceiptAt == config.CashReceiptAtSpend,
	}
	if !p.Method && !p.Wallet {
		return nil
	}
	return s.withReceiptPGs(&p)
}

// topUpReceiptPlan: a top-up is receipted when receipts are issued at top-up.
func (s *server) topUpReceiptPlan() *workflows.CashReceiptPlan {
	if s.cfg.CashReceiptAt != config.CashReceiptAtTopUp {
		return nil
	}
	return s.withReceiptPGs(&workflows.CashReceiptPlan{})
}

func (s *server) withReceiptPGs(p *workflows.CashReceiptPlan) *workflows.CashReceiptPlan {
	p.PGs, p.RetryEvery, p.PollEvery = s.cfg.ReceiptPGs(), s.cfg.CashReceiptRetryEvery, s.cfg.CashReceiptPollEvery
	return p
}

// cashReceiptResponse is a payment's receipt as GET /v1/payments/{id} shows it.
type cashReceiptResponse struct {
	Status                 string     `json:"status"`
	Amount                 int64      `json:"amount"`
	TaxFreeAmount          int64      `json:"tax_free_amount"`
	CancelledAmount        int64      `json:"cancelled_amount"`
	CancelledTaxFreeAmount int64      `json:"cancelled_tax_free_amount"`
	Type                   *string    `json:"type"`
	IdentityLast4          *string    `json:"identity_last4"`
	SelfIssued             bool       `json:"self_issued"`
	PG                     *string    `json:"pg"`
	IssueNumber            *string    `json:"issue_number"`
	Attempts               int32      `json:"attempts"`
	IssuedAt               *time.Time `json:"issued_at"`
	RegisteredAt           *time.Time `json:"registered_at"`
}
