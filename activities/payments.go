package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
)

// Payments calls the PGs. Each call carries an idempotency key built from the
// payment (or refund) id, so a retry, a worker crash or a workflow reset re-sends
// the same key and the PG answers with the original result.
type Payments struct {
	PGs     map[string]pg.Client // by PG name
	Queries *db.Queries          // billing-key lookups
	Keys    *pii.Keys            // opens sealed billing keys
}

type AuthorizeInput struct {
	PaymentID string
	OrderID   string
	// CustomerID is the customer the method's billing keys were issued to (some
	// PGs require it on every charge). Empty in histories older than it.
	CustomerID string
	MethodID   string
	PG         string
	Amount     int64
	Currency   string
	// InstallmentMonths (0: 일시불, 2..12) and InterestFree (the merchant pays
	// the interest) are the card part's installment plan.
	InstallmentMonths int
	InterestFree      bool
	// TaxFreeAmount of Amount is tax-free (tax.TaxFreeUpTo of the card part);
	// 0 in histories from before tax-free amounts.
	TaxFreeAmount int64
}

type AuthorizeResult struct {
	PG         string
	PaymentKey string
	// Pending: the PG decides later and announces it by webhook (the checkout
	// waits for the signal, or queries the PG when it does not come).
	Pending bool
	// Captured: the PG approves and captures in one call (no separate capture,
	// pg.Capabilities.SeparateCapture false): the checkout takes no capture step
	// and undoes the payment with a cancel.
	Captured bool
}

// Authorize asks one PG to approve the amount against the method's billing key at
// that PG. An outcome lost in transit (timeout after the PG committed) is resolved
// by querying the PG by idempotency key before anything is retried.
//
// Every PG a payment is sent to is recorded first (payment_pg_attempts). A
// workflow task retried after a crash runs this again from the start and may be
// routed elsewhere, because an outage began or ended meanwhile; the record makes
// it follow the first run instead: an authorization taken at another PG is
// returned as the result, and an outage answer from a PG tried before is not
// taken as "not processed" (the earlier try may have gone through), so the
// payment waits for that PG rather than failing over. A payment is never
// authorized at two PGs.
func (p *Payments) Authorize(ctx context.Context, in AuthorizeInput) (AuthorizeResult, error) {
	client, err := p.pg(in.PG)
	if err != nil {
		return AuthorizeResult{}, err
	}
	billingKey, triedHere, earlier, err := p.claimRoute(ctx, in)
	if err != nil || earlier != nil {
		return deref(earlier), err
	}
	return p.send(ctx, client, in, billingKey, triedHere)
}

// send is the authorization request itself, once the route is claimed.
// triedHere: the payment was sent to this PG before (an outage answer then
// does not prove it was not processed).
func (p *Payments) send(ctx context.Context, client pg.Client, in AuthorizeInput, billingKey string, triedHere bool) (AuthorizeResult, error) {
	key := AuthorizeKey(in.PaymentID)
	pay, err := client.Authorize(ctx, pg.AuthorizeRequest{
		IdempotencyKey: key, BillingKey: billingKey, CustomerKey: in.CustomerID, OrderID: in.OrderID, Amount: in.Amount, Currency: in.Currency,
		InstallmentMonths: in.InstallmentMonths, InterestFree: in.InterestFree,
		TaxFreeAmount: in.TaxFreeAmount,
	})
	if adapters.Is(err, adapters.Ambiguous) {
		pay, err = resolveAuthorize(ctx, client, key, err)
	}
	if adapters.Is(err, adapters.Unavailable) {
		if triedHere {
			// This request was not processed, but an earlier one here may have been.
			return AuthorizeResult{}, providerError("authorize "+in.PaymentID+" at "+in.PG+" (tried before)", err, false)
		}
		if merr := p.Queries.MarkPGNotProcessed(ctx, db.MarkPGNotProcessedParams{PaymentID: in.PaymentID, Pg: in.PG}); merr != nil {
			return AuthorizeResult{}, fmt.Errorf("mark %s not processed at %s: %w", in.PaymentID, in.PG, merr)
		}
	}
	if err != nil {
		return AuthorizeResult{}, providerError("authorize "+in.PaymentID+" at "+in.PG, err, true)
	}
	return authorizeResult(in.PG, client, pay), nil
}

// claimRoute fetches the method's billing key at in.PG and records the attempt
// before the PG is called: in one statement when no other PG was sent the
// payment (every first try), else by the careful path below. earlier is set
// when another PG already holds an authorization under the payment's key.
func (p *Payments) claimRoute(ctx context.Context, in AuthorizeInput) (billingKey string, triedHere bool, earlier *AuthorizeResult, err error) {
	row, err := p.Queries.ClaimPGRoute(ctx, claimParams(in))
	if err != nil {
		return "", false, nil, fmt.Errorf("claim route of %s at %s: %w", in.PaymentID, in.PG, err)
	}
	return p.claimed(ctx, in, row)
}

func claimParams(in AuthorizeInput) db.ClaimPGRouteParams {
	return db.ClaimPGRouteParams{PaymentID: in.PaymentID, MethodID: in.MethodID, Pg: in.PG}
}

// claimed reads ClaimPGRoute's answer (see claimRoute).
func (p *Payments) claimed(ctx context.Context, in AuthorizeInput, row db.ClaimPGRouteRow) (billingKey string, triedHere bool, earlier *AuthorizeResult, err error) {
	if row.PaymentClosed {
		return "", false, nil, errPaymentClosed(in.PaymentID)
	}
	if row.PaymentSucceeded {
		// The task that booked the payment died before it completed, and its
		// re-run comes here again. The PG is not asked again: an outage or a
		// fault now would make the checkout void (cancel) a captured payment
		// its customer was told is paid. The booked PG and key answer instead;
		// the posting that follows finds its journal and changes nothing.
		return "", false, &AuthorizeResult{PG: row.PaidPg, PaymentKey: row.PaidPaymentKey, Captured: true}, nil
	}
	if row.SentElsewhere {
		return p.claimRouteCarefully(ctx, in)
	}
	if !row.Claimed {
		// The method was never registered at this PG: it cannot serve this payment.
		return "", false, nil, nonRetryable(ErrProviderUnavailable,
			Failure{Code: "provider_unavailable", Message: "no billing key at " + in.PG}, nil)
	}
	billingKey, err = p.openBillingKey(row.BillingKey, row.BillingKeySealed)
	if err != nil {
		return "", false, nil, fmt.Errorf("billing key for %s at %s: %w", in.MethodID, in.PG, err)
	}
	return billingKey, row.TriedHere, nil, nil
}

// errPaymentClosed refuses a money step for a payment already failed or
// canceled. The database's status is the point of no return: a workflow task
// that died after failing the payment but before its task completed is
// re-run by the next worker, and its local activities may then see another
// outcome (a wallet balance freed meanwhile, a PG that answers this time).
// Without this refusal that re-run charged a payment the customer was told
// had failed (chaos, seeds 284679 and 4242).
func errPaymentClosed(paymentID string) error {
	return nonRetryable(ErrInvalidRequest, Failure{Code: "payment_closed",
		Message: "payment " + paymentID + " already failed or was canceled; nothing is charged"}, nil)
}

// claimRouteCarefully is the route claim after another PG was sent the
// payment (a crash or a failover between tries): ask each such PG for an
// authorization under the key before this one may be tried.
func (p *Payments) claimRouteCarefully(ctx context.Context, in AuthorizeInput) (string, bool, *AuthorizeResult, error) {
	attempts, err := p.Queries.ListPGAttempts(ctx, in.PaymentID)
	if err != nil {
		return "", false, nil, fmt.Errorf("pg attempts of %s: %w", in.PaymentID, err)
	}
	triedHere := false
	for _, a := range attempts {
		switch {
		case a.Status != "sent":
		case a.Pg == in.PG:
			triedHere = true
		default:
			res, found, err := p.earlierAuthorization(ctx, in.PaymentID, a.Pg)
			if err != nil {
				return "", false, nil, err
			}
			if found {
				return "", false, &res, nil
			}
		}
	}
	billingKey, err := p.billingKey(ctx, in.MethodID, in.PG)
	if errors.Is(err, pgx.ErrNoRows) {
		// The method was never registered at this PG: it cannot serve this payment.
		return "", false, nil, nonRetryable(ErrProviderUnavailable,
			Failure{Code: "provider_unavailable", Message: "no billing key at " + in.PG}, nil)
	}
	if err != nil {
		return "", false, nil, fmt.Errorf("billing key for %s at %s: %w", in.MethodID, in.PG, err)
	}
	if err := p.Queries.RecordPGAttempt(ctx, db.RecordPGAttemptParams{PaymentID: in.PaymentID, Pg: in.PG}); err != nil {
		return "", false, nil, fmt.Errorf("record attempt of %s at %s: %w", in.PaymentID, in.PG, err)
	}
	return billingKey, triedHere, nil, nil
}

func deref(r *AuthorizeResult) AuthorizeResult {
	if r == nil {
		return AuthorizeResult{}
	}
	return *r
}

// authorizeResult is what the checkout needs of an authorization at pgName.
func authorizeResult(pgName string, client pg.Client, pay pg.Payment) AuthorizeResult {
	return AuthorizeResult{PG: pgName, PaymentKey: pay.PaymentKey, Pending: pay.Status == "pending",
		Captured: !pg.CapabilitiesOf(client).SeparateCapture}
}

// earlierAuthorization asks a PG an earlier run sent the payment to whether it
// holds an authorization under the payment's key. Not being able to tell is a
// retryable error: the payment must not go anywhere else until it can.
func (p *Payments) earlierAuthorization(ctx context.Context, paymentID, pgName string) (AuthorizeResult, bool, error) {
	client, err := p.pg(pgName)
	if err != nil {
		return AuthorizeResult{}, false, err
	}
	pay, err := client.GetByIdempotencyKey(ctx, AuthorizeKey(paymentID))
	switch {
	case adapters.Is(err, adapters.NotFound):
		if err := p.Queries.MarkPGNotProcessed(ctx, db.MarkPGNotProcessedParams{PaymentID: paymentID, Pg: pgName}); err != nil {
			return AuthorizeResult{}, false, fmt.Errorf("mark %s not processed at %s: %w", paymentID, pgName, err)
		}
		return AuthorizeResult{}, false, nil
	case err != nil:
		return AuthorizeResult{}, false, providerError("find the earlier authorization of "+paymentID+" at "+pgName, err, false)
	}
	return authorizeResult(pgName, client, pay), true, nil
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
	// TaxFreeAmount of Amount is tax-free (tax.SliceTaxFree); with Amount 0 the
	// PG cancels whatever tax-free part remains.
	TaxFreeAmount int64
	// MayHaveCommitted: an earlier call under Key ended with its outcome unknown
	// (the Refund workflow settling it), so a refusal is checked at the PG.
	MayHaveCommitted bool
}

// Cancel voids an authorization or refunds a capture (fully or partly) at the PG.
func (p *Payments) Cancel(ctx context.Context, in CancelInput) error {
	client, err := p.pg(in.PG)
	if err != nil {
		return err
	}
	_, err = client.Cancel(ctx, pg.CancelRequest{
		IdempotencyKey: in.Key, PaymentKey: in.PaymentKey, Amount: in.Amount, Reason: in.Reason,
		TaxFreeAmount: in.TaxFreeAmount,
	})
	if err != nil && (in.MayHaveCommitted || retried(ctx)) && refusedAsDone(err) && cancelLanded(ctx, client, in) {
		// An earlier attempt of this cancel was answered with no outcome (or a
		// retryable error) and the PG now refuses because the money is already
		// given back: that earlier attempt committed. Releasing here would lose it.
		return nil
	}
	if err != nil {
		return providerError("cancel "+in.Key, err, false)
	}
	return nil
}

// retried reports whether this is a retry of the activity: only a retry can
// follow an attempt whose outcome is unknown (a refusal is never retried).
func retried(ctx context.Context) bool {
	return activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1
}

// refusedAsDone is a refusal that the cancel's own earlier commit would cause:
// the payment is already cancelled, or the amount is no longer cancellable.
func refusedAsDone(err error) bool {
	var pe *adapters.Error
	if !errors.As(err, &pe) || (pe.Kind != adapters.Declined && pe.Kind != adapters.Invalid) {
		return false
	}
	for _, code := range []string{pe.Code, pe.ProviderCode} {
		switch strings.ToUpper(code) {
		case "ALREADY_CANCELED_PAYMENT", "NOT_CANCELABLE_AMOUNT", "NOT_CANCELABLE_PAYMENT", // Toss
			"ALREADY_CANCELED", "NOT_CANCELABLE", // PortOne, as its connector translates them
			"IDEMPOTENCY_KEY_REUSED": // this very key was already processed
			return true
		}
	}
	return false
}

// cancelLanded looks the payment up: has the PG given back at least this
// cancel's amount (all of it, for a whole cancel)? The connectors expose the
// cancelled total, not each cancel's key, so this is checked only on a retry,
// where the refusal itself says the balance already moved.
func cancelLanded(ctx context.Context, client pg.Client, in CancelInput) bool {
	pay, err := client.GetPayment(ctx, in.PaymentKey)
	if err != nil {
		return false // still unknown: the caller's error is retried or fails visibly
	}
	if in.Amount == 0 {
		return pay.Status == "canceled"
	}
	return pay.CanceledAmount >= in.Amount
}

type VoidByKeyInput struct {
	PaymentID string
	PG        string
}

// VoidByKey cleans up after an authorize whose outcome stayed unknown: if the PG
// did create a payment under the authorize key, it is voided, so a payment that
// failed can never leave a hold on the customer's card.
// It voids at in.PG and at every other PG the payment was sent to.
func (p *Payments) VoidByKey(ctx context.Context, in VoidByKeyInput) error {
	pgs := []string{in.PG}
	attempts, err := p.Queries.ListPGAttempts(ctx, in.PaymentID)
	if err != nil {
		return fmt.Errorf("pg attempts of %s: %w", in.PaymentID, err)
	}
	for _, a := range attempts {
		if a.Status == "sent" && a.Pg != in.PG {
			pgs = append(pgs, a.Pg)
		}
	}
	for _, name := range pgs {
		if err := p.voidAt(ctx, in.PaymentID, name); err != nil {
			return err
		}
	}
	return nil
}

func (p *Payments) voidAt(ctx context.Context, paymentID, pgName string) error {
	client, err := p.pg(pgName)
	if err != nil {
		return err
	}
	pay, err := client.GetByIdempotencyKey(ctx, AuthorizeKey(paymentID))
	if adapters.Is(err, adapters.NotFound) {
		return nil
	}
	if err != nil {
		return providerError("find authorization of "+paymentID+" at "+pgName, err, false)
	}
	return p.Cancel(ctx, CancelInput{
		Key: "payment:" + paymentID + ":void", PG: pgName, PaymentKey: pay.PaymentKey, Reason: "authorization outcome was unknown",
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
