package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
)

// Payments calls the PGs. Each call carries an idempotency key built from the
// payment (or refund) id, so a retry, a worker crash or a workflow reset re-sends
// the same key and the PG answers with the original result.
type Payments struct {
	PGs     map[string]pg.Client // by PG name
	Queries *db.Queries          // billing-key lookups
}

type AuthorizeInput struct {
	PaymentID string
	OrderID   string
	MethodID  string
	PG        string
	Amount    int64
	Currency  string
}

type AuthorizeResult struct {
	PG         string
	PaymentKey string
	// Pending: the PG decides later and announces it by webhook (the checkout
	// waits for the signal, or queries the PG when it does not come).
	Pending bool
}

// Authorize asks one PG to approve the amount against the method's billing key at
// that PG. An outcome lost in transit (timeout after the PG committed) is resolved
// by querying the PG by idempotency key before anything is retried.
func (p *Payments) Authorize(ctx context.Context, in AuthorizeInput) (AuthorizeResult, error) {
	client, err := p.pg(in.PG)
	if err != nil {
		return AuthorizeResult{}, err
	}
	billingKey, err := p.Queries.GetBillingKey(ctx, db.GetBillingKeyParams{MethodID: in.MethodID, Pg: in.PG})
	if errors.Is(err, pgx.ErrNoRows) {
		// The method was never registered at this PG: it cannot serve this payment.
		return AuthorizeResult{}, nonRetryable(ErrProviderUnavailable,
			Failure{Code: "provider_unavailable", Message: "no billing key at " + in.PG}, nil)
	}
	if err != nil {
		return AuthorizeResult{}, fmt.Errorf("billing key for %s at %s: %w", in.MethodID, in.PG, err)
	}
	key := AuthorizeKey(in.PaymentID)
	pay, err := client.Authorize(ctx, pg.AuthorizeRequest{
		IdempotencyKey: key, BillingKey: billingKey, OrderID: in.OrderID, Amount: in.Amount, Currency: in.Currency,
	})
	if adapters.Is(err, adapters.Ambiguous) {
		pay, err = resolveAuthorize(ctx, client, key, err)
	}
	if err != nil {
		return AuthorizeResult{}, providerError("authorize "+in.PaymentID+" at "+in.PG, err, true)
	}
	return AuthorizeResult{PG: in.PG, PaymentKey: pay.PaymentKey, Pending: pay.Status == "pending"}, nil
}

type GetAuthorizationInput struct {
	PG         string
	PaymentKey string
}

// AuthorizationStatus is a pending authorization's state at its PG.
type AuthorizationStatus struct {
	Status string // pending | authorized | declined
}

// GetAuthorization asks the PG where a pending authorization stands: what the
// checkout trusts when the webhook does not come in time.
func (p *Payments) GetAuthorization(ctx context.Context, in GetAuthorizationInput) (AuthorizationStatus, error) {
	client, err := p.pg(in.PG)
	if err != nil {
		return AuthorizationStatus{}, err
	}
	pay, err := client.GetPayment(ctx, in.PaymentKey)
	if err != nil {
		return AuthorizationStatus{}, providerError("query "+in.PaymentKey+" at "+in.PG, err, false)
	}
	switch pay.Status {
	case "pending":
		return AuthorizationStatus{Status: "pending"}, nil
	case "authorized", "captured":
		return AuthorizationStatus{Status: "authorized"}, nil
	}
	return AuthorizationStatus{Status: "declined"}, nil
}

// resolveAuthorize finds out whether an authorize whose answer was lost took effect.
func resolveAuthorize(ctx context.Context, client pg.Client, key string, sendErr error) (pg.Payment, error) {
	pay, err := client.GetByIdempotencyKey(ctx, key)
	if err == nil {
		return pay, nil
	}
	if adapters.Is(err, adapters.NotFound) {
		// Not processed: retrying with the same key is safe.
		return pg.Payment{}, fmt.Errorf("authorize outcome unknown, not found at PG: %w", sendErr)
	}
	return pg.Payment{}, fmt.Errorf("authorize outcome unknown, query failed (%v): %w", err, sendErr)
}

type CaptureInput struct {
	PaymentID  string
	PG         string
	PaymentKey string
	Amount     int64
}

// Capture takes the authorized amount. The PG answers a repeated key with the
// original capture, so an ambiguous failure is simply retried.
func (p *Payments) Capture(ctx context.Context, in CaptureInput) error {
	client, err := p.pg(in.PG)
	if err != nil {
		return err
	}
	_, err = client.Capture(ctx, pg.CaptureRequest{
		IdempotencyKey: "payment:" + in.PaymentID + ":capture", PaymentKey: in.PaymentKey, Amount: in.Amount,
	})
	if adapters.Is(err, adapters.Ambiguous) {
		if pay, qerr := client.GetPayment(ctx, in.PaymentKey); qerr == nil && pay.CapturedAmount >= in.Amount {
			return nil
		}
	}
	if err != nil {
		return providerError("capture "+in.PaymentID, err, false)
	}
	return nil
}

type CancelInput struct {
	// Key is the idempotency key of this cancel: payment:{id}:void,
	// payment:{id}:cancel-capture or refund:{id}. One key, one cancel.
	Key        string
	PG         string
	PaymentKey string
	Amount     int64 // 0: all that remains
	Reason     string
}

// Cancel voids an authorization or refunds a capture (fully or partly) at the PG.
func (p *Payments) Cancel(ctx context.Context, in CancelInput) error {
	client, err := p.pg(in.PG)
	if err != nil {
		return err
	}
	_, err = client.Cancel(ctx, pg.CancelRequest{
		IdempotencyKey: in.Key, PaymentKey: in.PaymentKey, Amount: in.Amount, Reason: in.Reason,
	})
	if err != nil {
		return providerError("cancel "+in.Key, err, false)
	}
	return nil
}

type VoidByKeyInput struct {
	PaymentID string
	PG        string
}

// VoidByKey cleans up after an authorize whose outcome stayed unknown: if the PG
// did create a payment under the authorize key, it is voided, so a payment that
// failed can never leave a hold on the customer's card.
func (p *Payments) VoidByKey(ctx context.Context, in VoidByKeyInput) error {
	client, err := p.pg(in.PG)
	if err != nil {
		return err
	}
	pay, err := client.GetByIdempotencyKey(ctx, AuthorizeKey(in.PaymentID))
	if adapters.Is(err, adapters.NotFound) {
		return nil
	}
	if err != nil {
		return providerError("find authorization of "+in.PaymentID, err, false)
	}
	return p.Cancel(ctx, CancelInput{
		Key: "payment:" + in.PaymentID + ":void", PG: in.PG, PaymentKey: pay.PaymentKey, Reason: "authorization outcome was unknown",
	})
}

// AuthorizeKey is the PG idempotency key of a payment's authorization.
func AuthorizeKey(paymentID string) string { return "payment:" + paymentID + ":authorize" }

func (p *Payments) pg(name string) (pg.Client, error) {
	c, ok := p.PGs[name]
	if !ok {
		return nil, nonRetryable(ErrInvalidRequest, Failure{Code: "unknown_pg", Message: "no PG named " + name}, nil)
	}
	return c, nil
}
