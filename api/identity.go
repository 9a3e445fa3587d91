package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

type createVerificationRequest struct {
	CustomerID string `json:"customer_id"`
	Name       string `json:"name"`
	Phone      string `json:"phone"`
	BirthDate  string `json:"birth_date"`
	// Carrier and IdentityNumber: what a PortOne identity connector also needs
	// for SMS verification (the mobile carrier, and the first 7 digits of the
	// resident number); optional for the sandbox's own protocol.
	Carrier        string `json:"carrier,omitempty"`
	IdentityNumber string `json:"identity_number,omitempty"`
}

var (
	phonePattern     = regexp.MustCompile(`^01[0-9]{8,9}$`)
	birthDatePattern = regexp.MustCompile(`^(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$`)
	smsCodePattern   = regexp.MustCompile(`^[0-9]{6}$`)
	carriers         = map[string]bool{"SKT": true, "KT": true, "LGU": true, "SKT_MVNO": true, "KT_MVNO": true, "LGU_MVNO": true}
)

// identityNumberMatches: the 7 digits are the birth date's YYMMDD and a
// century digit that agrees with it (1, 2, 5, 6: 1900s; 3, 4, 7, 8: 2000s).
func identityNumberMatches(number, birthDate string) bool {
	if len(number) != 7 || len(birthDate) != 8 || number[:6] != birthDate[2:] {
		return false
	}
	switch number[6] {
	case '1', '2', '5', '6':
		return birthDate[:2] == "19"
	case '3', '4', '7', '8':
		return birthDate[:2] == "20"
	}
	return false
}

func (r createVerificationRequest) validate() error {
	var v validation
	v.id("customer_id", r.CustomerID)
	v.text("name", r.Name, 1, 64)
	if !phonePattern.MatchString(r.Phone) {
		v.add(codeValidationFailed, "phone", "must be a mobile number of 10..11 digits starting 01")
	}
	if !birthDatePattern.MatchString(r.BirthDate) {
		v.add(codeValidationFailed, "birth_date", "must be a date YYYYMMDD")
	}
	if r.Carrier != "" && !carriers[r.Carrier] {
		v.add(codeValidationFailed, "carrier", "must be SKT, KT, LGU, SKT_MVNO, KT_MVNO or LGU_MVNO")
	}
	if r.IdentityNumber != "" && !identityNumberMatches(r.IdentityNumber, r.BirthDate) {
		v.add(codeValidationFailed, "identity_number", "must be the birth date's YYMMDD and its next digit (7 digits)")
	}
	return v.err()
}

type confirmVerificationRequest struct {
	Code string `json:"code"`
}

// verificationResponse never carries the CI/DI or their hashes.
type verificationResponse struct {
	ID                string    `json:"id"`
	CustomerID        string    `json:"customer_id"`
	Status            string    `json:"status"` // pending | verified | failed | expired
	FailureCode       *string   `json:"failure_code"`
	AttemptsLeft      int32     `json:"attempts_left"`
	ExpiresAt         time.Time `json:"expires_at"`
	ProviderRequestID *string   `json:"provider_request_id"`
	Workflow          wfLink    `json:"workflow"`
}

type wfLink struct {
	ID string `json:"id"`
}

func verificationOf(v db.IdentityVerification) verificationResponse {
	out := verificationResponse{
		ID: v.ID, CustomerID: v.CustomerID, Status: v.Status, AttemptsLeft: max(v.MaxAttempts-v.Attempts, 0),
		ExpiresAt: v.ExpiresAt.Time.UTC(), Workflow: wfLink{ID: v.ID},
	}
	if v.FailureCode.Valid {
		out.FailureCode = &v.FailureCode.String
	}
	if v.ProviderRequestID.Valid {
		out.ProviderRequestID = &v.ProviderRequestID.String
	}
	return out
}

// createVerification starts the VerifyIdentity workflow idv-{customer}-{n} and
// answers once the provider has sent the code: 201 pending, or 422 with the
// provider's reason (e.g. invalid_phone). A concurrent duplicate joins the same
// verification (the workflow id is the same).
func (s *server) createVerification(c echo.Context) error {
	var req createVerificationRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	if _, err := s.requireCustomer(c, req.CustomerID); err != nil {
		return err
	}
	ctx := c.Request().Context()
	n, err := s.q.CountIdentityVerifications(ctx, req.CustomerID)
	if err != nil {
		return internalError(fmt.Errorf("count verifications of %s: %w", req.CustomerID, err))
	}
	id := workflows.VerifyIdentityID(req.CustomerID, n+1)
	logWorkflow(c, id)
	in := workflows.VerifyIdentityInput{
		VerificationID: id, CustomerID: req.CustomerID, Seq: n + 1, Name: req.Name, Phone: req.Phone, BirthDate: req.BirthDate,
		Carrier: req.Carrier, IdentityNumber: req.IdentityNumber, IP: c.RealIP(),
		CodeTTL: s.cfg.IdentityCodeTTL, MaxAttempts: s.cfg.IdentityMaxAttempts,
	}
	opts := s.startOptions(c, id)
	opts.TypedSearchAttributes = temporal.NewSearchAttributes(
		workflows.CustomerIDKey.ValueSet(req.CustomerID), workflows.PaymentStatusKey.ValueSet(workflows.IdentityPending))
	budget, cancel := context.WithTimeout(ctx, s.cfg.CheckoutBudget)
	defer cancel()
	if _, err := s.temporal.ExecuteWorkflow(budget, opts, workflows.VerifyIdentityName, in); err != nil {
		return startError(id, err)
	}
	v, err := s.awaitCodeSent(budget, id)
	v.CustomerID = req.CustomerID
	if err != nil {
		return err
	}
	if v.Status == workflows.IdentityFailed {
		return problem(http.StatusUnprocessableEntity, v.FailureCode.String, "the identity provider could not send a code")
	}
	status := http.StatusCreated
	if !v.ProviderRequestID.Valid {
		status = http.StatusAccepted // the code is on its way; GET shows when
	}
	return c.JSON(status, verificationOf(v))
}

// awaitCodeSent polls the verification row until the code was sent or the
// verification ended, or the budget runs out (then returns what is there).
func (s *server) awaitCodeSent(ctx context.Context, id string) (db.IdentityVerification, error) {
	for {
		v, err := s.q.GetIdentityVerification(ctx, id)
		switch {
		case err == nil && (v.ProviderRequestID.Valid || v.Status != workflows.IdentityPending):
			return v, nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows) && ctx.Err() == nil:
			return v, internalError(fmt.Errorf("get verification %s: %w", id, err))
		}
		select {
		case <-ctx.Done():
			if err != nil { // not even recorded yet: answer it as pending
				return db.IdentityVerification{ID: id, Status: workflows.IdentityPending}, nil
			}
			return v, nil
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func (s *server) getVerification(c echo.Context) error {
	v, err := s.verification(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, verificationOf(v))
}

func (s *server) verification(c echo.Context) (db.IdentityVerification, error) {
	id := c.Param("id")
	v, err := s.q.GetIdentityVerification(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !entitled(c, v.CustomerID)) {
		return v, problem(http.StatusNotFound, codeVerificationNotFound, fmt.Sprintf("no identity verification %q", id))
	}
	if err != nil {
		return v, internalError(fmt.Errorf("get verification %s: %w", id, err))
	}
	return v, nil
}

// confirmVerification hands the code to the workflow (an update) and answers
// 200 with the verification after it: verified, pending with attempts left
// (failure_code wrong_code), failed or expired. A verification no longer
// waiting for a code is 409 identity_verification_closed.
func (s *server) confirmVerification(c echo.Context) error {
	var req confirmVerificationRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	if !smsCodePattern.MatchString(req.Code) {
		v.add(codeValidationFailed, "code", "must be 6 digits")
	}
	if err := v.err(); err != nil {
		return err
	}
	row, err := s.verification(c)
	if err != nil {
		return err
	}
	if row.Status != workflows.IdentityPending {
		return verificationClosed(row)
	}
	ctx := c.Request().Context()
	logWorkflow(c, row.ID)
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: row.ID, UpdateName: workflows.ConfirmCodeUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.ConfirmCodeRequest{Code: req.Code}},
	})
	var res workflows.ConfirmCodeResponse
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		// Rejected or too late: the verification closed in between.
		if row, rerr := s.verification(c); rerr == nil && row.Status != workflows.IdentityPending {
			return verificationClosed(row)
		}
		return internalError(fmt.Errorf("confirm code of %s: %w", row.ID, err))
	}
	out := verificationOf(row)
	out.Status, out.AttemptsLeft = res.Status, int32(res.AttemptsLeft)
	out.FailureCode = nil
	if res.FailureCode != "" {
		out.FailureCode = &res.FailureCode
	}
	return c.JSON(http.StatusOK, out)
}

func verificationClosed(v db.IdentityVerification) error {
	return problem(http.StatusConflict, codeVerificationClosed,
		fmt.Sprintf("identity verification %s is %s; start a new one", v.ID, v.Status))
}
