package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
)

// Identity verifies customers (본인인증) at the identity provider and records the
// outcome. The provider's CI/DI never leave the confirming activity in clear: it
// returns their keyed hashes, which are all a workflow history or a row holds.
type Identity struct {
	Provider identity.Client
	Keys     *pii.Keys
	Pool     *pgxpool.Pool
}

type CreateVerificationInput struct {
	VerificationID string
	CustomerID     string
	Seq            int64
	MaxAttempts    int64
	ExpiresAt      time.Time
}

// CreateVerification writes the pending verification row (idempotent by id).
func (i *Identity) CreateVerification(ctx context.Context, in CreateVerificationInput) error {
	_, err := db.New(i.Pool).CreateIdentityVerification(ctx, db.CreateIdentityVerificationParams{
		ID: in.VerificationID, CustomerID: in.CustomerID, Seq: int32(in.Seq), MaxAttempts: int32(in.MaxAttempts),
		ExpiresAt: pgtype.Timestamptz{Time: in.ExpiresAt, Valid: true},
	})
	if err != nil {
		return fmt.Errorf("create verification %s: %w", in.VerificationID, err)
	}
	return nil
}

type RequestCodeInput struct {
	VerificationID string
	Name           string
	Phone          string
	BirthDate      string
	Carrier        string // for providers that need them (PortOne); may be empty
	IdentityNumber string
	IP             string
}

type RequestCodeResult struct {
	RequestID string
}

// RequestCode asks the provider to text a code to the phone, under the key
// idv:{id}:request, and records the provider's request id.
func (i *Identity) RequestCode(ctx context.Context, in RequestCodeInput) (RequestCodeResult, error) {
	req, err := i.Provider.RequestCode(ctx, identity.CodeRequest{
		IdempotencyKey: "idv:" + in.VerificationID + ":request", Name: in.Name, Phone: in.Phone, BirthDate: in.BirthDate,
		Carrier: in.Carrier, IdentityNumber: in.IdentityNumber, IPAddress: in.IP,
	})
	if err != nil {
		return RequestCodeResult{}, providerError("request identity code for "+in.VerificationID, err, false)
	}
	err = db.New(i.Pool).SetIdentityVerificationRequest(ctx, db.SetIdentityVerificationRequestParams{
		ID: in.VerificationID, ProviderRequestID: text(req.RequestID),
	})
	if err != nil {
		return RequestCodeResult{}, fmt.Errorf("record request of %s: %w", in.VerificationID, err)
	}
	return RequestCodeResult{RequestID: req.RequestID}, nil
}

type ConfirmCodeInput struct {
	VerificationID string
	RequestID      string
	Code           string
	Attempt        int64
}

// ConfirmCodeResult carries the keyed hashes of the CI and DI, never the values.
type ConfirmCodeResult struct {
	CIHash string
	DIHash string
}

// ConfirmCode checks a code at the provider. A wrong, expired or exhausted code
// is a non-retryable Declined error with code wrong_code, code_expired or
// too_many_attempts.
func (i *Identity) ConfirmCode(ctx context.Context, in ConfirmCodeInput) (ConfirmCodeResult, error) {
	err := db.New(i.Pool).SetIdentityVerificationAttempts(ctx, db.SetIdentityVerificationAttemptsParams{
		ID: in.VerificationID, Attempts: int32(in.Attempt),
	})
	if err != nil {
		return ConfirmCodeResult{}, fmt.Errorf("count attempt of %s: %w", in.VerificationID, err)
	}
	person, err := i.Provider.Confirm(ctx, in.RequestID, in.Code)
	if err != nil {
		return ConfirmCodeResult{}, providerError("confirm identity code of "+in.VerificationID, err, false)
	}
	return ConfirmCodeResult{CIHash: i.Keys.Hash("ci", person.CI), DIHash: i.Keys.Hash("di", person.DI)}, nil
}

type FinishVerificationInput struct {
	VerificationID string
	CustomerID     string
	Status         string // verified | failed | expired
	FailureCode    string
	CIHash         string
	DIHash         string
}

// FinishVerification records the outcome; a verified one marks the customer
// verified with the hashes, in the same transaction.
func (i *Identity) FinishVerification(ctx context.Context, in FinishVerificationInput) error {
	return pgx.BeginFunc(ctx, i.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.FinishIdentityVerification(ctx, db.FinishIdentityVerificationParams{
			ID: in.VerificationID, Status: in.Status, FailureCode: text(in.FailureCode),
		}); err != nil {
			return fmt.Errorf("finish verification %s: %w", in.VerificationID, err)
		}
		if in.Status != "verified" {
			return nil
		}
		if err := q.MarkCustomerVerified(ctx, db.MarkCustomerVerifiedParams{
			ID: in.CustomerID, CiHash: text(in.CIHash), DiHash: text(in.DIHash),
		}); err != nil {
			return fmt.Errorf("mark customer %s verified: %w", in.CustomerID, err)
		}
		return nil
	})
}
