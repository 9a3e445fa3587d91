package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/bizreg"
	"github.com/paysaga/paysaga/db"
)

type producerBankAccount struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"`
}

type createProducerRequest struct {
	ID             string               `json:"id"` // the producer_id checkout items carry
	Name           string               `json:"name"`
	BankAccount    *producerBankAccount `json:"bank_account"`
	FeeBPS         *int64               `json:"fee_bps"`
	SettlementDays int32                `json:"settlement_days"` // D+N
	PayoutHold     bool                 `json:"payout_hold"`
	// BusinessRegistrationNumber (사업자등록번호, 10 digits, dashes allowed) is
	// needed before the first payout: a producer without a valid one is held.
	BusinessRegistrationNumber string `json:"business_registration_number"`
}

// accountPattern is the bank's payout account format (10..14 digits).
var accountPattern = regexp.MustCompile(`^[0-9]{10,14}$`)

func (r createProducerRequest) validate() error {
	var v validation
	v.id("id", r.ID)
	v.text("name", r.Name, 1, 200)
	if r.BankAccount == nil {
		v.add(codeValidationFailed, "bank_account", "is required")
	} else {
		if !bankCodePattern.MatchString(r.BankAccount.BankCode) {
			v.add(codeValidationFailed, "bank_account.bank_code", "must be 3 digits")
		}
		if !accountPattern.MatchString(r.BankAccount.AccountNumber) {
			v.add(codeValidationFailed, "bank_account.account_number", "must be 10..14 digits")
		}
		v.text("bank_account.holder_name", r.BankAccount.HolderName, 1, 100)
	}
	if r.FeeBPS != nil && (*r.FeeBPS < 0 || *r.FeeBPS > 10_000) {
		v.add(codeValidationFailed, "fee_bps", "must be within 0..10000")
	}
	if b := r.BusinessRegistrationNumber; b != "" && !bizreg.Valid(bizreg.Normalize(b)) {
		v.add(codeInvalidBusinessRegistration, "business_registration_number", "must be a valid 10-digit business registration number")
	}
	if r.SettlementDays < 0 || r.SettlementDays > 90 {
		v.add(codeValidationFailed, "settlement_days", "must be within 0..90")
	}
	return v.err()
}

type producerResponse struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	BankCode       string `json:"bank_code"`
	AccountLast4   string `json:"account_last4"`
	HolderName     string `json:"holder_name"`
	FeeBPS         int64  `json:"fee_bps"`
	SettlementDays int32  `json:"settlement_days"`
	PayoutHold     bool   `json:"payout_hold"`
	HoldReason     string `json:"hold_reason"`
	// BusinessRegistrationNumber is "" until given; OnboardingComplete says
	// whether the producer passes the checks a payout needs.
	BusinessRegistrationNumber string    `json:"business_registration_number"`
	OnboardingComplete         bool      `json:"onboarding_complete"`
	CreatedAt                  time.Time `json:"created_at"`
}

func toProducerResponse(p db.Producer) producerResponse {
	return producerResponse{ID: p.ID, Name: p.Name, BankCode: p.BankCode, AccountLast4: p.AccountLast4,
		HolderName: p.HolderName, FeeBPS: p.FeeBps, SettlementDays: p.SettlementDays, PayoutHold: p.PayoutHold,
		HoldReason: p.HoldReason, BusinessRegistrationNumber: p.BusinessRegistrationNumber,
		OnboardingComplete: bizreg.Valid(p.BusinessRegistrationNumber), CreatedAt: p.CreatedAt.Time.UTC()}
}

// createProducer registers a producer after the bank confirms the account's
// holder: 201, 422 holder_mismatch, 409 when the id is taken.
func (s *server) createProducer(c echo.Context) error {
	var req createProducerRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.q.GetProducer(ctx, req.ID); err == nil {
		return problem(http.StatusConflict, codeProducerExists, fmt.Sprintf("producer %q already exists", req.ID))
	}
	holders := activities.Methods{Bank: s.bank}
	err := holders.CheckAccountHolder(ctx, activities.CheckHolderInput{
		BankCode: req.BankAccount.BankCode, AccountNumber: req.BankAccount.AccountNumber, HolderName: req.BankAccount.HolderName,
	})
	if err != nil {
		return holderCheckProblem(err)
	}
	fee := s.cfg.FeeBPS
	if req.FeeBPS != nil {
		fee = *req.FeeBPS
	}
	account := req.BankAccount.AccountNumber
	sealed, err := s.pii.Seal(account)
	if err != nil {
		return internalError(fmt.Errorf("seal account of producer %s: %w", req.ID, err))
	}
	var p db.Producer
	err = s.inTx(ctx, func(q *db.Queries) error {
		var err error
		p, err = q.CreateProducer(ctx, db.CreateProducerParams{
			ID: req.ID, Name: req.Name, BankCode: req.BankAccount.BankCode, AccountSealed: sealed, AccountLast4: account[len(account)-4:],
			HolderName: req.BankAccount.HolderName, FeeBps: fee, SettlementDays: req.SettlementDays, PayoutHold: req.PayoutHold,
			BusinessRegistrationNumber: bizreg.Normalize(req.BusinessRegistrationNumber),
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return problem(http.StatusConflict, codeProducerExists, fmt.Sprintf("producer %q already exists", req.ID))
		}
		if err != nil {
			return internalError(fmt.Errorf("create producer %s: %w", req.ID, err))
		}
		// Where the producer's money goes: bank and last four, never the number.
		return s.audit(ctx, q, c, auditProducerCreated, "producer:"+p.ID, nil, map[string]any{
			"bank_code": p.BankCode, "account_last4": p.AccountLast4, "holder_name": p.HolderName,
			"fee_bps": p.FeeBps, "payout_hold": p.PayoutHold,
		})
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toProducerResponse(p))
}

func holderCheckProblem(err error) error {
	switch {
	case activities.IsType(err, activities.ErrHolderMismatch):
		return problem(http.StatusUnprocessableEntity, codeHolderMismatch, "the account holder does not match holder_name")
	case activities.IsType(err, activities.ErrInvalidRequest):
		return problem(http.StatusUnprocessableEntity, codeValidationFailed, "the bank does not know this account")
	}
	p := problem(http.StatusBadGateway, codeProviderError, "the bank could not verify the account holder; retry later")
	p.cause = err
	return p
}

func (s *server) requireProducer(c echo.Context) (db.Producer, error) {
	id := c.Param("id")
	p, err := s.q.GetProducer(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, problem(http.StatusNotFound, codeProducerNotFound, fmt.Sprintf("no producer %q", id))
	}
	if err != nil {
		return p, internalError(fmt.Errorf("get producer %s: %w", id, err))
	}
	return p, nil
}

type balanceResponse struct {
	ProducerID string `json:"producer_id"`
	Currency   string `json:"currency"`
	// Payable is what the ledger owes the producer now (negative: it owes us,
	// carried forward against future sales).
	Payable int64 `json:"payable"`
	// PayableAtCutoff is what a run cutting off at ?cutoff= (default now; e.g. a
	// schedule's next run) would pay for what is booked so far: activity at least
	// settlement_days old at the cut-off, less payouts claimed and not yet booked.
	PayableAtCutoff int64     `json:"payable_at_cutoff"`
	InFlight        int64     `json:"in_flight"`
	Cutoff          time.Time `json:"cutoff"`
	SettlementDays  int32     `json:"settlement_days"`
}

func (s *server) producerBalance(c echo.Context) error {
	p, err := s.requireProducer(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	currency := s.cfg.Currencies[0]
	raw, err := s.q.AccountBalance(ctx, db.AccountBalanceParams{Account: "producer:" + p.ID + ":payable", Currency: currency})
	if err != nil {
		return internalError(fmt.Errorf("balance of %s: %w", p.ID, err))
	}
	now := time.Now().UTC()
	if q := c.QueryParam("cutoff"); q != "" {
		t, perr := time.Parse(time.RFC3339, q)
		if perr != nil {
			var v validation
			v.add(codeValidationFailed, "cutoff", "must be an RFC 3339 time, e.g. 2026-11-26T01:00:00Z")
			return v.err()
		}
		now = t.UTC()
	}
	eligible, err := s.q.ProducerEligible(ctx, db.ProducerEligibleParams{ProducerID: p.ID, Currency: currency,
		Cutoff: pgtype.Timestamptz{Time: now, Valid: true}, SettlementDays: p.SettlementDays})
	if err != nil {
		return internalError(fmt.Errorf("eligible balance of %s: %w", p.ID, err))
	}
	inFlight, err := s.q.ProducerInFlight(ctx, db.ProducerInFlightParams{ProducerID: p.ID, Currency: currency})
	if err != nil {
		return internalError(fmt.Errorf("in-flight payouts of %s: %w", p.ID, err))
	}
	return c.JSON(http.StatusOK, balanceResponse{ProducerID: p.ID, Currency: currency, Payable: -raw,
		PayableAtCutoff: eligible - inFlight, InFlight: inFlight, Cutoff: now, SettlementDays: p.SettlementDays})
}

type statementLine struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`   // sale | refund | payout | other
	Amount    int64     `json:"amount"` // change in what we owe the producer: + sale, - refund/payout
	Gross     int64     `json:"gross,omitempty"`
	Fee       int64     `json:"fee,omitempty"`
	PaymentID string    `json:"payment_id,omitempty"`
	Reference string    `json:"reference"` // the journal's idempotency key
	Currency  string    `json:"currency"`
	CreatedAt time.Time `json:"created_at"`
}

type statementResponse struct {
	ProducerID string          `json:"producer_id"`
	Lines      []statementLine `json:"lines"`
	NextBefore int64           `json:"next_before,omitempty"` // pass as ?before= for the next (older) page
}

// producerStatement pages the producer's ledger lines, newest first.
func (s *server) producerStatement(c echo.Context) error {
	p, err := s.requireProducer(c)
	if err != nil {
		return err
	}
	before, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	rows, err := s.q.ProducerStatement(c.Request().Context(), db.ProducerStatementParams{ProducerID: p.ID, BeforeID: before, PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("statement of %s: %w", p.ID, err))
	}
	out := statementResponse{ProducerID: p.ID, Lines: make([]statementLine, len(rows))}
	for i, r := range rows {
		l := statementLine{ID: r.ID, Amount: -r.Amount, PaymentID: r.PaymentID, Reference: r.IdempotencyKey,
			Currency: r.Currency, CreatedAt: r.CreatedAt.Time.UTC(), Kind: "other"}
		switch r.Kind {
		case "payment_capture":
			l.Kind, l.Gross, l.Fee = "sale", r.ItemAmount, r.ItemFee
		case "sale_confirmation": // a confirmed purchase: fee here is commission + its VAT
			l.Kind, l.Gross, l.Fee = "sale", r.ItemAmount, r.ItemAmount+r.Amount
		case "payment_refund":
			l.Kind = "refund"
		case "payout":
			l.Kind = "payout"
		}
		out.Lines[i] = l
	}
	if len(rows) == int(limit) {
		out.NextBefore = rows[len(rows)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

// pageParams reads ?before= (an id cursor, newest first) and ?limit= (1..200, default 50).
func pageParams(c echo.Context) (before int64, limit int32, err error) {
	var v validation
	before, limit = 1<<62, 50
	if b := c.QueryParam("before"); b != "" {
		n, perr := strconv.ParseInt(b, 10, 64)
		if perr != nil || n <= 0 {
			v.add(codeValidationFailed, "before", "must be a positive integer")
		}
		before = n
	}
	if l := c.QueryParam("limit"); l != "" {
		n, perr := strconv.Atoi(l)
		if perr != nil || n < 1 || n > 200 {
			v.add(codeValidationFailed, "limit", "must be within 1..200")
		}
		limit = int32(n)
	}
	return before, limit, v.err()
}
