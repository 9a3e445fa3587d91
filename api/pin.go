package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/paypin"
)

// Payment PIN routes. The PIN is checked here, against PostgreSQL, and never
// reaches a workflow, a log line or a saved idempotent response: a checkout
// that needs step-up carries a pin_token from POST .../pin/verify instead.
// Every route first resolves the customer with requireCustomer, so a key
// scoped to another customer gets the same 404 whether or not a PIN exists.

type setPINRequest struct {
	PIN string `json:"pin"`
}

type changePINRequest struct {
	CurrentPIN string `json:"current_pin"`
	NewPIN     string `json:"new_pin"`
}

type resetPINRequest struct {
	IdentityVerificationID string `json:"identity_verification_id"`
	NewPIN                 string `json:"new_pin"`
}

type pinStateResponse struct {
	CustomerID string    `json:"customer_id"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type pinTokenResponse struct {
	PINToken  string    `json:"pin_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func validatePIN(v *validation, field, pin string) {
	if paypin.Validate(pin) != nil {
		v.add(codeInvalidPIN, field, "must be exactly 6 digits")
	}
}

// setPIN creates the customer's first PIN; 409 pin_exists when one is set
// (change or reset it instead).
func (s *server) setPIN(c echo.Context) error {
	var req setPINRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	validatePIN(&v, "pin", req.PIN)
	if err := v.err(); err != nil {
		return err
	}
	cus, err := s.requireCustomer(c, c.Param("id"))
	if err != nil {
		return err
	}
	hash, salt, err := paypin.Hash(req.PIN)
	if err != nil {
		return internalError(err)
	}
	ctx := c.Request().Context()
	err = s.inTx(ctx, func(q *db.Queries) error {
		n, err := q.CreatePaymentPIN(ctx, db.CreatePaymentPINParams{CustomerID: cus.ID, PinHash: hash, Salt: salt})
		if err != nil {
			return internalError(fmt.Errorf("create pin of %s: %w", cus.ID, err))
		}
		if n == 0 {
			return problem(http.StatusConflict, codePINExists, "the customer already has a payment PIN; change or reset it")
		}
		return s.audit(ctx, q, c, auditPINSet, "customer:"+cus.ID, nil, map[string]any{"pin": "set"})
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, pinStateResponse{CustomerID: cus.ID, UpdatedAt: time.Now().UTC()})
}

// changePIN replaces the PIN after the current one is given; a wrong current
// PIN counts towards the lock like any other wrong try.
func (s *server) changePIN(c echo.Context) error {
	var req changePINRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	validatePIN(&v, "current_pin", req.CurrentPIN)
	validatePIN(&v, "new_pin", req.NewPIN)
	if err := v.err(); err != nil {
		return err
	}
	cus, err := s.requireCustomer(c, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.checkPIN(c, cus.ID, req.CurrentPIN); err != nil {
		return err
	}
	return s.replacePIN(c, cus.ID, req.NewPIN, auditPINChanged, nil)
}

// resetPIN replaces a forgotten (or locked) PIN once the customer has just
// verified their identity: a verification of this customer, verified within
// PINResetWindow, not used for a reset before.
func (s *server) resetPIN(c echo.Context) error {
	var req resetPINRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	v.id("identity_verification_id", req.IdentityVerificationID)
	validatePIN(&v, "new_pin", req.NewPIN)
	if err := v.err(); err != nil {
		return err
	}
	cus, err := s.requireCustomer(c, c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	iv, err := s.q.GetIdentityVerification(ctx, req.IdentityVerificationID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && iv.CustomerID != cus.ID) {
		return problem(http.StatusNotFound, codeVerificationNotFound, fmt.Sprintf("no identity verification %q for this customer", req.IdentityVerificationID))
	}
	if err != nil {
		return internalError(fmt.Errorf("get identity verification %s: %w", req.IdentityVerificationID, err))
	}
	if iv.Status != "verified" || time.Since(iv.UpdatedAt.Time) > s.cfg.PINResetWindow {
		return problem(http.StatusForbidden, codeVerificationNotFresh,
			fmt.Sprintf("a PIN reset needs an identity verification completed within the last %s", s.cfg.PINResetWindow))
	}
	return s.replacePIN(c, cus.ID, req.NewPIN, auditPINReset, func(q *db.Queries) error {
		n, err := q.ClaimPINReset(ctx, db.ClaimPINResetParams{VerificationID: iv.ID, CustomerID: cus.ID})
		if err != nil {
			return internalError(fmt.Errorf("claim pin reset %s: %w", iv.ID, err))
		}
		if n == 0 {
			return problem(http.StatusForbidden, codeVerificationNotFresh, "this identity verification was already used to reset the PIN")
		}
		return nil
	})
}

// replacePIN stores a new PIN (clearing wrong tries and the lock) with its
// audit row; claim, when set, runs first in the same transaction.
func (s *server) replacePIN(c echo.Context, customerID, pin, action string, claim func(*db.Queries) error) error {
	hash, salt, err := paypin.Hash(pin)
	if err != nil {
		return internalError(err)
	}
	ctx := c.Request().Context()
	err = s.inTx(ctx, func(q *db.Queries) error {
		if claim != nil {
			if err := claim(q); err != nil {
				return err
			}
		}
		if _, err := q.GetPaymentPINForUpdate(ctx, customerID); errors.Is(err, pgx.ErrNoRows) {
			if action == auditPINReset { // forgotten before it was ever set: the reset sets it
				if _, err := q.CreatePaymentPIN(ctx, db.CreatePaymentPINParams{CustomerID: customerID, PinHash: hash, Salt: salt}); err != nil {
					return internalError(fmt.Errorf("create pin of %s: %w", customerID, err))
				}
				return s.audit(ctx, q, c, action, "customer:"+customerID, map[string]any{"pin": "none"}, map[string]any{"pin": "set"})
			}
			return problem(http.StatusNotFound, codePINNotSet, "the customer has no payment PIN")
		} else if err != nil {
			return internalError(fmt.Errorf("get pin of %s: %w", customerID, err))
		}
		if err := q.ReplacePaymentPIN(ctx, db.ReplacePaymentPINParams{CustomerID: customerID, PinHash: hash, Salt: salt}); err != nil {
			return internalError(fmt.Errorf("replace pin of %s: %w", customerID, err))
		}
		return s.audit(ctx, q, c, action, "customer:"+customerID, map[string]any{"pin": "set"}, map[string]any{"pin": "replaced"})
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pinStateResponse{CustomerID: customerID, UpdatedAt: time.Now().UTC()})
}

// verifyPIN exchanges the right PIN for a short-lived, single-use token that a
// checkout needing step-up carries.
func (s *server) verifyPIN(c echo.Context) error {
	var req setPINRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	validatePIN(&v, "pin", req.PIN)
	if err := v.err(); err != nil {
		return err
	}
	cus, err := s.requireCustomer(c, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.checkPIN(c, cus.ID, req.PIN); err != nil {
		return err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return internalError(fmt.Errorf("pin token: %w", err))
	}
	token := "pt_" + base64.RawURLEncoding.EncodeToString(raw)
	expires := time.Now().Add(s.cfg.PINTokenTTL).UTC()
	err = s.q.CreatePINToken(c.Request().Context(), db.CreatePINTokenParams{
		TokenHash: pinTokenHash(token), CustomerID: cus.ID, ExpiresAt: pgtype.Timestamptz{Time: expires, Valid: true},
	})
	if err != nil {
		return internalError(fmt.Errorf("store pin token: %w", err))
	}
	return c.JSON(http.StatusCreated, pinTokenResponse{PINToken: token, ExpiresAt: expires})
}

func pinTokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// checkPIN compares pin with the stored one under the row's lock, so every
// concurrent wrong try is counted. A wrong try is committed before the 403 (or
// the 423 of the try that locks it) is returned. While locked, even the right
// PIN is refused.
func (s *server) checkPIN(c echo.Context, customerID, pin string) error {
	ctx := c.Request().Context()
	var outcome error
	err := s.inTx(ctx, func(q *db.Queries) error {
		row, err := q.GetPaymentPINForUpdate(ctx, customerID)
		if errors.Is(err, pgx.ErrNoRows) {
			outcome = problem(http.StatusNotFound, codePINNotSet, "the customer has no payment PIN")
			return nil
		}
		if err != nil {
			return fmt.Errorf("get pin of %s: %w", customerID, err)
		}
		if row.LockedUntil.Valid && row.LockedUntil.Time.After(time.Now()) {
			outcome = pinLocked(row.LockedUntil.Time)
			return nil
		}
		if paypin.Matches(pin, row.PinHash, row.Salt) {
			return q.RecordRightPIN(ctx, customerID)
		}
		row, err = q.RecordWrongPIN(ctx, db.RecordWrongPINParams{
			CustomerID: customerID, MaxAttempts: int32(s.cfg.PINMaxAttempts), LockSeconds: s.cfg.PINLockDuration.Seconds(),
		})
		if err != nil {
			return fmt.Errorf("record wrong pin of %s: %w", customerID, err)
		}
		if row.LockedUntil.Valid && row.LockedUntil.Time.After(time.Now()) {
			outcome = pinLocked(row.LockedUntil.Time)
			return nil
		}
		left := s.cfg.PINMaxAttempts - int64(row.FailedAttempts)
		outcome = problem(http.StatusForbidden, codePINIncorrect, fmt.Sprintf("the payment PIN is wrong; %d tries left before it locks", left))
		return nil
	})
	if err != nil {
		return internalError(err)
	}
	return outcome
}

func pinLocked(until time.Time) error {
	return problem(http.StatusLocked, codePINLocked,
		fmt.Sprintf("too many wrong PINs: locked until %s; reset it with an identity verification", until.UTC().Format(time.RFC3339)))
}

// spendPINToken accepts a checkout's step-up proof: a live, unused token of
// this customer, spent by this call.
func (s *server) spendPINToken(ctx context.Context, customerID, token string) (bool, error) {
	if token == "" {
		return false, nil
	}
	n, err := s.q.UsePINToken(ctx, db.UsePINTokenParams{TokenHash: pinTokenHash(token), CustomerID: customerID})
	if err != nil {
		return false, internalError(fmt.Errorf("use pin token: %w", err))
	}
	return n == 1, nil
}
