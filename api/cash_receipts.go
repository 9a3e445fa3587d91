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
	"github.com/paysaga/paysaga/db"
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
