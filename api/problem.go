package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

const problemTypeBase = "https://paysaga.dev/problems/"

// Stable problem codes. Clients branch on them; never rename one.
const (
	codeMalformedJSON          = "malformed_json"
	codeUnknownField           = "unknown_field"
	codeInvalidFieldType       = "invalid_field_type"
	codeUnsupportedMediaType   = "unsupported_media_type"
	codeDuplicateKey           = "duplicate_json_key"
	codeInvalidUTF8            = "invalid_utf8"
	codeInvalidQueryParameter  = "invalid_query_parameter"
	codeBodyTooLarge           = "body_too_large"
	codeValidationFailed       = "validation_failed"
	codeUnauthorized           = "unauthorized"
	codeForbidden              = "forbidden"
	codeRateLimited            = "rate_limited"
	codeNotFound               = "not_found"
	codeMethodNotAllowed       = "method_not_allowed"
	codeBadRequest             = "bad_request"
	codeInternal               = "internal_error"
	codeTemporalUnavailable    = "temporal_unavailable"
	codeRequestCanceled        = "request_canceled"
	codeIdempotencyKeyRequired = "idempotency_key_required"
	codeIdempotencyKeyInvalid  = "invalid_idempotency_key"
	codeIdempotencyKeyReused   = "idempotency_key_reused"
	codeIdempotencyKeyInUse    = "idempotency_key_in_use"
	codeCustomerNotFound       = "customer_not_found"
	codePaymentMethodNotFound  = "payment_method_not_found"
	codePaymentNotFound        = "payment_not_found"
	codeUnsupportedCurrency    = "unsupported_currency"
	codeInvalidAmount          = "invalid_amount"
	codeItemsSumMismatch       = "items_sum_mismatch"
	codeUnknownPaymentMethod   = "unknown_payment_method"
	// Installments (issue 15): months outside 0, 2..12; a plan the method or a
	// routed PG cannot take (a bank account, a card part under the minimum).
	codeInvalidInstallmentMonths = "invalid_installment_months"
	codeInstallmentNotAvailable  = "installment_not_available"
	codeOrderInProgress          = "order_in_progress"
	codeDuplicateOrder           = "duplicate_order"
	codePaymentNotRefundable     = "payment_not_refundable"
	codeRefundExceedsRemaining   = "refund_exceeds_remaining"
	codeProviderError            = "provider_error"
	codeProviderUnavailable      = "provider_unavailable"
	codeRegistrationFailed       = "registration_failed"
	codeVerificationNotFound     = "identity_verification_not_found"
	codeVerificationClosed       = "identity_verification_closed"
	codeVerificationRequired     = "identity_verification_required"
	codeWalletCapExceeded        = "wallet_cap_exceeded"
	codeDailyTopUpExceeded       = "daily_topup_limit_exceeded"
	codeTopUpNotFound            = "topup_not_found"
	codeTopUpVelocityExceeded    = "topup_velocity_exceeded"
	codeHolderMismatch           = "holder_mismatch"
	codeProducerExists           = "producer_exists"
	codeProducerNotFound         = "producer_not_found"
	codeScheduleExists           = "schedule_exists"
	codeScheduleNotFound         = "schedule_not_found"
	codeInvalidSchedule          = "invalid_schedule"
	codePayoutRunNotFound        = "payout_run_not_found"
	codePayoutNotFound           = "payout_not_found"
	codePayoutNotAwaiting        = "payout_not_awaiting_approval"
	codeWebhookEndpointNotFound  = "webhook_endpoint_not_found"
	codeEventNotFound            = "event_not_found"
	codeInvalidSignature         = "invalid_signature"
	codeUnverifiedWebhook        = "unverified_webhook"
	codeUnknownProvider          = "unknown_provider"
	codeReconRunNotFound         = "reconciliation_not_found"
	// Marketplace settlement (issue 13).
	codeInvalidBusinessRegistration = "invalid_business_registration_number"
	// Cash receipts (issue 14).
	codeInvalidPhoneNumber = "invalid_phone_number"

	// Payment PIN, step-up and risk rules.
	codeInvalidPIN           = "invalid_pin"
	codePINExists            = "pin_exists"
	codePINNotSet            = "pin_not_set"
	codePINIncorrect         = "pin_incorrect"
	codePINLocked            = "pin_locked"
	codeVerificationNotFresh = "identity_verification_not_fresh"
	codeStepUpRequired       = "step_up_required"
	codePINTokenInvalid      = "pin_token_invalid"
	codeRiskRuleNotFound     = "risk_rule_not_found"
	codeBlocklistNotFound    = "blocklist_entry_not_found"
)

// Problem is an RFC 9457 problem detail. Handlers return it as an error; the
// central handleError writes it.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code"`
	Errors []FieldError `json:"errors,omitempty"`

	cause error // logged for 5xx, never sent
}

// FieldError names one invalid field of the request body.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	if p.cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", p.Status, p.Code, p.Detail, p.cause)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail)
}

func (p *Problem) Unwrap() error { return p.cause }

func problem(status int, code, detail string) *Problem {
	return &Problem{
		Type:   problemTypeBase + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
	}
}

// internalError hides err from the client and keeps it for the log.
func internalError(err error) *Problem {
	p := problem(http.StatusInternalServerError, codeInternal, "an internal error occurred; quote the X-Request-Id when reporting it")
	p.cause = err
	return p
}

func temporalUnavailable(err error) *Problem {
	p := problem(http.StatusServiceUnavailable, codeTemporalUnavailable, "the workflow service did not answer; retry with the same Idempotency-Key")
	p.cause = err
	return p
}

// toProblem maps any error a handler or middleware returns to the problem sent.
func toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return problem(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("the request body exceeds %d bytes", tooLarge.Limit))
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return problem(he.Code, codeNotFound, "no such resource")
		case http.StatusMethodNotAllowed:
			return problem(he.Code, codeMethodNotAllowed, "the method is not allowed on this resource")
		case http.StatusRequestEntityTooLarge:
			return problem(he.Code, codeBodyTooLarge, "the request body is too large")
		case http.StatusUnsupportedMediaType:
			return problem(he.Code, codeUnsupportedMediaType, "the body must be application/json")
		}
		if he.Code >= 400 && he.Code < 500 {
			return problem(he.Code, codeBadRequest, fmt.Sprint(he.Message))
		}
		return internalError(err)
	}
	if errors.Is(err, context.Canceled) {
		p := problem(http.StatusServiceUnavailable, codeRequestCanceled, "the request was canceled before it finished")
		p.cause = err
		return p
	}
	return internalError(err)
}

// handleError is Echo's HTTPErrorHandler: every error leaves as problem+json.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := toProblem(err)
	log := zerolog.Ctx(c.Request().Context())
	if p.Status >= 500 {
		log.Error().Err(err).Str("code", p.Code).Msg("request failed")
	}
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="paysaga"`)
	}
	body, mErr := json.Marshal(p)
	if mErr != nil {
		log.Error().Err(mErr).Msg("encode problem")
		_ = c.NoContent(http.StatusInternalServerError)
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	if wErr := c.Blob(p.Status, "application/problem+json", body); wErr != nil {
		log.Warn().Err(wErr).Msg("write problem")
	}
}
