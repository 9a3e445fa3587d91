package activities

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/risk"
)

// Opening opens a card-only checkout in one commit: the payment, its items,
// the risk outcome, the installment plan, the route claim at the first PG and
// their timeline steps in one PostgreSQL transaction, then the authorization
// request at that PG (issue 19; ADR 0018). It composes the writes of Store,
// Risk and Payments rather than repeating them, so each keeps one definition.
type Opening struct {
	Store    *Store
	Risk     *Risk
	Payments *Payments
}

// ErrOpeningNotCommitted is the (retryable) type of an opening whose
// transaction failed: no PG was called.
const ErrOpeningNotCommitted = "OpeningNotCommitted"

// OpenCardPaymentInput is what the step-by-step opening passes to its
// activities (CreatePayment, EvaluateRisk, RecordInstallment, Authorize).
type OpenCardPaymentInput struct {
	Payment     CreatePaymentInput
	Risk        EvaluateRiskInput
	Installment *RecordInstallmentInput // nil: paid at once (일시불)
	Authorize   AuthorizeInput          // at the first PG in routing order
}

// OpenCardPayment commits the payment's opening record and sends the
// authorization to in.Authorize.PG. The claim and the request share one
// activity on purpose: whether the PG was tried before (ClaimPGRoute's
// tried_here) is only exact for the request that follows the claim in the
// same execution, as in Authorize; a separate claim activity would let a
// re-run authorize (after a worker died) believe it was the first try and fail
// over from a PG that may hold the authorization.
//
// Every write is idempotent, so a retry re-runs the transaction harmlessly.
// A risk block commits the payment and its outcome, claims nothing, and is a
// RiskBlocked error. A payment already failed or canceled is payment_closed
// (the guard inside ClaimPGRoute, in the same transaction). Outcomes the
// transaction cannot settle alone (another PG was sent the payment before, or
// the method has no billing key here) take Authorize's own paths after it.
func (o *Opening) OpenCardPayment(ctx context.Context, in OpenCardPaymentInput) (AuthorizeResult, error) {
	client, err := o.Payments.pg(in.Authorize.PG)
	if err != nil {
		return AuthorizeResult{}, err
	}
	var decision RiskDecision
	var row db.ClaimPGRouteRow
	err = pgx.BeginFunc(ctx, o.Store.Pool, func(tx pgx.Tx) error {
		decision, row, err = o.open(ctx, tx, in)
		return err
	})
	if err != nil {
		// Nothing was sent: the checkout may open step by step once retries run out.
		return AuthorizeResult{}, temporal.NewApplicationErrorWithCause(
			"open payment "+in.Payment.PaymentID+": not committed", ErrOpeningNotCommitted, err)
	}
	if decision.Decision == risk.Block {
		return AuthorizeResult{}, RiskBlockedError(decision)
	}
	billingKey, triedHere, earlier, err := o.Payments.claimed(ctx, in.Authorize, row)
	if err != nil || earlier != nil {
		return deref(earlier), err
	}
	return o.Payments.send(ctx, client, in.Authorize, billingKey, triedHere)
}

// open is the transaction: create, evaluate, record the plan, claim.
func (o *Opening) open(ctx context.Context, tx pgx.Tx, in OpenCardPaymentInput) (RiskDecision, db.ClaimPGRouteRow, error) {
	q := db.New(tx)
	if err := createPayment(ctx, q, in.Payment); err != nil {
		return RiskDecision{}, db.ClaimPGRouteRow{}, err
	}
	decision, err := o.Risk.evaluate(ctx, tx, in.Risk)
	if err != nil {
		return RiskDecision{}, db.ClaimPGRouteRow{}, fmt.Errorf("evaluate risk: %w", err)
	}
	if decision.Decision == risk.Block {
		return decision, db.ClaimPGRouteRow{}, nil // nothing is claimed for a refused payment
	}
	if in.Installment != nil {
		if err := recordInstallment(ctx, q, *in.Installment); err != nil {
			return RiskDecision{}, db.ClaimPGRouteRow{}, err
		}
	}
	row, err := q.ClaimPGRoute(ctx, claimParams(in.Authorize))
	if err != nil {
		return RiskDecision{}, db.ClaimPGRouteRow{}, fmt.Errorf("claim route at %s: %w", in.Authorize.PG, err)
	}
	return decision, row, nil
}
