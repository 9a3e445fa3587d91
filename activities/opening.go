package activities

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/benefit"
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
	// Benefit, when set, is evaluated and recorded in the same transaction
	// (issue 19, i19-benefit-in-opening); nil in older histories and for a
	// checkout without benefit rules.
	Benefit *ApplyBenefitInput
}

// OpenCardPaymentResult is the first PG's authorization and the benefit the
// opening recorded (nil: none was asked for). The authorization's fields are
// embedded, so results recorded before the benefit decode unchanged.
type OpenCardPaymentResult struct {
	AuthorizeResult
	Benefit *benefit.Result
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
func (o *Opening) OpenCardPayment(ctx context.Context, in OpenCardPaymentInput) (OpenCardPaymentResult, error) {
	client, err := o.Payments.pg(in.Authorize.PG)
	if err != nil {
		return OpenCardPaymentResult{}, err
	}
	var op opened
	err = pgx.BeginFunc(ctx, o.Store.Pool, func(tx pgx.Tx) error {
		op, err = o.open(ctx, tx, in)
		return err
	})
	if err != nil {
		// Nothing was sent: the checkout may open step by step once retries run out.
		return OpenCardPaymentResult{}, temporal.NewApplicationErrorWithCause(
			"open payment "+in.Payment.PaymentID+": not committed", ErrOpeningNotCommitted, err)
	}
	if op.decision.Decision == risk.Block {
		return OpenCardPaymentResult{}, RiskBlockedError(op.decision)
	}
	if op.benefit != nil {
		in.Authorize = DiscountedCharge(in.Authorize, op.benefit.Discount)
	}
	billingKey, triedHere, earlier, err := o.Payments.claimed(ctx, in.Authorize, op.row)
	if err != nil || earlier != nil {
		return OpenCardPaymentResult{AuthorizeResult: deref(earlier), Benefit: op.benefit}, err
	}
	auth, err := o.Payments.send(ctx, client, in.Authorize, billingKey, triedHere)
	return OpenCardPaymentResult{AuthorizeResult: auth, Benefit: op.benefit}, err
}

// opened is what the opening's transaction committed.
type opened struct {
	decision RiskDecision
	row      db.ClaimPGRouteRow
	benefit  *benefit.Result // recorded on the payment; nil when not asked for
}

// open is the transaction: create, evaluate the risk, record the benefit and
// the plan, claim.
func (o *Opening) open(ctx context.Context, tx pgx.Tx, in OpenCardPaymentInput) (opened, error) {
	q := db.New(tx)
	if err := createPayment(ctx, q, in.Payment); err != nil {
		return opened{}, err
	}
	decision, err := o.Risk.evaluate(ctx, tx, in.Risk)
	if err != nil {
		return opened{}, fmt.Errorf("evaluate risk: %w", err)
	}
	op := opened{decision: decision}
	if decision.Decision == risk.Block {
		return op, nil // nothing is claimed (nor a benefit recorded) for a refused payment
	}
	if in.Benefit != nil {
		b, err := applyBenefit(ctx, q, *in.Benefit)
		if err != nil {
			return opened{}, err
		}
		op.benefit = &b
	}
	if in.Installment != nil {
		if err := recordInstallment(ctx, q, *in.Installment); err != nil {
			return opened{}, err
		}
	}
	if op.row, err = q.ClaimPGRoute(ctx, claimParams(in.Authorize)); err != nil {
		return opened{}, fmt.Errorf("claim route at %s: %w", in.Authorize.PG, err)
	}
	return op, nil
}

// DiscountedCharge is the authorization of a card part that an instant
// discount took discount off (issue 15): the PG is charged the rest, its
// tax-free part at most that.
func DiscountedCharge(in AuthorizeInput, discount int64) AuthorizeInput {
	if discount <= 0 {
		return in
	}
	in.Amount -= discount
	in.TaxFreeAmount = min(in.TaxFreeAmount, in.Amount)
	return in
}
