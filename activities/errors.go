// Package activities holds paysaga's Temporal activities: each does one side effect
// (a provider call or a database transaction), idempotently, and turns provider
// failures into Temporal errors: declines and bad requests are non-retryable
// application errors with a type; transient faults are plain (retryable) errors.
package activities

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/adapters"
)

// Application error types the workflows branch on. Stable: they are in histories.
const (
	ErrDeclined            = "Declined"            // the provider refused; details: Failure
	ErrInvalidRequest      = "InvalidRequest"      // the request can never succeed as sent
	ErrProviderUnavailable = "ProviderUnavailable" // certainly not processed; another PG may serve it
	ErrNotRefundable       = "NotRefundable"       // the payment's state or remaining amount forbids it
	ErrHolderMismatch      = "HolderMismatch"      // bank account holder differs from the given name
	ErrLimitExceeded       = "LimitExceeded"       // a wallet cap or daily limit forbids it; details: Failure
)

// Failure is the detail carried by non-retryable errors: a stable code for the API.
type Failure struct {
	Code    string // snake_case, e.g. card_declined
	Message string
}

// FailureOf extracts the code and message from an activity error, falling back to
// the given code for errors that carry none (e.g. retries exhausted).
func FailureOf(err error, fallback string) Failure {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		var f Failure
		if app.HasDetails() && app.Details(&f) == nil && f.Code != "" {
			return f
		}
	}
	return Failure{Code: fallback, Message: "the payment could not be completed; it was not charged"}
}

// IsType reports whether err is (or wraps) an application error of the given type.
func IsType(err error, typ string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == typ
}

func nonRetryable(typ string, f Failure, cause error) error {
	return temporal.NewNonRetryableApplicationError(f.Message, typ, cause, f)
}

// providerError maps a classified provider failure to a Temporal error. failover
// says whether the caller may route elsewhere when the provider is certainly down
// (true for authorize; false once a payment lives at one PG).
func providerError(op string, err error, failover bool) error {
	var pe *adapters.Error
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", op, err)
	}
	code := strings.ToLower(pe.Code)
	switch pe.Kind {
	case adapters.Declined:
		if code == "" {
			code = "declined"
		}
		return nonRetryable(ErrDeclined, Failure{Code: code, Message: pe.Message}, err)
	case adapters.Invalid, adapters.NotFound:
		if code == "" {
			code = "invalid_request"
		}
		return nonRetryable(ErrInvalidRequest, Failure{Code: code, Message: pe.Message}, err)
	case adapters.Unavailable:
		if failover {
			return nonRetryable(ErrProviderUnavailable,
				Failure{Code: "provider_unavailable", Message: pe.Provider + " is unavailable"}, err)
		}
	}
	// Transient, Ambiguous (after the caller's query) and Unavailable without
	// failover: retry with the same idempotency key.
	return fmt.Errorf("%s: %w", op, err)
}
