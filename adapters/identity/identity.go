// Package identity is the identity-verification (본인인증, PASS-style) client:
// send a code to a phone, confirm it, and receive the person's CI/DI.
package identity

import "context"

type Client interface {
	RequestCode(ctx context.Context, req CodeRequest) (Request, error)
	// Confirm checks a code. A wrong code is an adapters.Error of kind Declined.
	Confirm(ctx context.Context, requestID, code string) (Person, error)
}

type CodeRequest struct {
	IdempotencyKey string
	Name           string
	Phone          string
	BirthDate      string // YYYYMMDD
	// Carrier, IdentityNumber and IPAddress are what PortOne's SMS verification
	// also needs (the sandbox's own protocol ignores them): the mobile carrier
	// (SKT, KT, LGU, SKT_MVNO, KT_MVNO, LGU_MVNO), the first 7 digits of the
	// resident number (birth date YYMMDD and the digit after it), and the
	// customer's IP address.
	Carrier        string
	IdentityNumber string
	IPAddress      string
}

type Request struct {
	RequestID string
	ExpiresIn int // seconds
}

// Person holds the provider's identifiers. CI and DI are sensitive: keep them only
// as a keyed hash or encrypted, never log them.
type Person struct {
	CI string
	DI string
}
