// Package adapters holds what every provider client shares: the classification of
// provider failures into what the caller may safely do next. The clients themselves
// live in adapters/pg, adapters/bank and adapters/identity; none imports Temporal.
package adapters

import (
	"errors"
	"fmt"
)

// Kind says what a failed provider call means for the caller.
type Kind string

const (
	// Declined: the provider refused (card declined, insufficient funds). Final.
	Declined Kind = "declined"
	// Invalid: the request is wrong (unknown billing key, bad amount). Final.
	Invalid Kind = "invalid"
	// Unavailable: the provider certainly did not process the request (connection
	// refused, 503 outage before processing). Safe to route to another provider.
	Unavailable Kind = "unavailable"
	// Transient: a 5xx or 429 answered by the provider; retry with the same key.
	Transient Kind = "transient"
	// Ambiguous: the request may have been processed (timeout, connection dropped
	// after sending). Resolve by querying the provider by idempotency key.
	Ambiguous Kind = "ambiguous"
	// NotFound: a query found nothing under that key.
	NotFound Kind = "not_found"
)

// Error is a classified provider failure.
type Error struct {
	Provider string // e.g. "pg:alpha", "bank"
	Op       string // e.g. "authorize"
	Kind     Kind
	Status   int    // HTTP status, 0 when no answer came
	Code     string // paysaga's code, e.g. CARD_DECLINED (a connector translates its provider's codes)
	// ProviderCode is the provider's own code when a connector translated it
	// (Toss REJECT_CARD_COMPANY -> Code CARD_DECLINED); empty when Code is the
	// provider's as sent.
	ProviderCode string
	Message      string // provider's message, safe to show (never card data)
	Err          error  // underlying transport error, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.Provider, e.Op, e.Kind)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of a classified error, or "" for any other error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// Is reports whether err is a classified provider error of kind k.
func Is(err error, k Kind) bool { return KindOf(err) == k }
