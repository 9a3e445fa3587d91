package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// openOneCommitChangeID versions the card-only checkout's opening in one
// commit (issue 19): payment + risk outcome + installment plan + route claim
// + their timeline steps in one transaction, with the first PG's call in the
// same local activity, instead of CreatePayment, EvaluateRisk,
// RecordInstallment and Authorize's own claim (three or four commits).
const openOneCommitChangeID = "i19-one-commit-before-pg"

// opening is how far openInOneCommit got.
type opening struct {
	opened     bool // the payment is recorded: skip the step-by-step opening
	authorized bool // auth holds the first PG's authorization
	auth       activities.AuthorizeResult
	nextPG     int  // the first PG the authorize loop tries when !authorized
	benefit    bool // the benefit is evaluated and recorded (c.benefit is set)
}

// opensInOneCommit: the card pays the whole amount. A checkout with another
// tender (the wallet, points; a bank-account debit) opens step by step so
// its hold sits between the risk evaluation and the card, where compensation
// expects it. A new tender adds its test here.
func (c *checkout) opensInOneCommit() bool {
	return c.in.WalletAmount == 0 && c.in.PointsAmount == 0 && c.in.MethodID != "" &&
		c.in.MethodKind != MethodBankAccount && len(c.in.PGs) > 0
}

// openInOneCommit opens a card-only checkout with OpenCardPayment. An answer
// that settles the payment (decline, risk block, payment closed, no PG left)
// is returned as the error to fail with; an outage at the first PG moves on
// to the next. When retries ran out on the transaction (nothing was sent), the
// step-by-step opening takes over: every one of its steps is idempotent and
// finds what may have committed, and the authorize loop's claim then sees the
// first PG as tried, so it never fails over from a PG that may hold the
// authorization. When they ran out at the PG, the checkout fails as
// Authorize's unknown outcome does, voiding by key.
func (c *checkout) openInOneCommit(ctx workflow.Context) (opening, error) {
	if !c.opensInOneCommit() || workflow.GetVersion(ctx, openOneCommitChangeID, workflow.DefaultVersion, 1) != 1 {
		return opening{}, nil
	}
	first := c.in.PGs[0]
	in := c.openInput(ctx, first)
	in.Benefit = c.benefitInOpening(ctx)
	var res activities.OpenCardPaymentResult
	err := workflow.ExecuteLocalActivity(providerCtx(ctx), opener.OpenCardPayment, in).Get(ctx, &res)
	switch {
	case err == nil:
		c.benefit = res.Benefit
		return opening{opened: true, authorized: true, auth: res.AuthorizeResult, benefit: res.Benefit != nil}, nil
	case activities.IsType(err, activities.ErrProviderUnavailable) && len(c.in.PGs) > 1:
		c.event(ctx, "pg_unavailable:"+first, nil)
		return opening{opened: true, nextPG: 1}, nil
	case activities.IsType(err, activities.ErrDeclined), activities.IsType(err, activities.ErrInvalidRequest),
		activities.IsType(err, activities.ErrRiskBlocked), activities.IsType(err, activities.ErrProviderUnavailable):
		return opening{opened: true}, err
	case activities.IsType(err, activities.ErrOpeningNotCommitted):
		workflow.GetLogger(ctx).Warn("one-commit opening did not finish; opening step by step", "error", err)
		return opening{}, nil
	}
	// The PG's answer stayed unknown (or the activity timed out, or the workflow
	// was cancelled), as when Authorize's retries run out: void whatever the key
	// holds and fail. The payment is recorded first (idempotent) so that the
	// failure has a row to land on even if the transaction never committed.
	c.voidUnknownAt(first)
	if !temporal.IsCanceledError(err) {
		if cerr := c.create(ctx); cerr != nil {
			return opening{opened: true}, fmt.Errorf("record payment after an unknown opening: %w", cerr)
		}
	}
	return opening{opened: true}, err
}

func (c *checkout) openInput(ctx workflow.Context, pg string) activities.OpenCardPaymentInput {
	in := activities.OpenCardPaymentInput{Payment: c.createInput(ctx), Risk: c.riskInput(), Authorize: c.authorizeInput(pg)}
	if c.in.InstallmentMonths > 0 {
		plan := c.installmentInput()
		in.Installment = &plan
	}
	return in
}

// benefitInOpeningChangeID versions the benefit's evaluation inside the
// opening's transaction (issue 19): the one-commit opening reads the rule set
// in force, the card and the tier and records the payment's benefit before
// the PG call; the step-by-step opening does it in one transaction
// (ApplyBenefit) instead of ResolveBenefits + RecordBenefit.
const benefitInOpeningChangeID = "i19-benefit-in-opening"

// benefitInOpening is the benefit the one-commit opening evaluates and
// records, or nil: no benefit rules for this checkout, or a run recorded
// before, which evaluates them in a step after the opening.
func (c *checkout) benefitInOpening(ctx workflow.Context) *activities.ApplyBenefitInput {
	if !c.in.Benefits || c.cardAmount() <= 0 || workflow.GetVersion(ctx, benefitInOpeningChangeID, workflow.DefaultVersion, 1) != 1 {
		return nil
	}
	in := c.applyBenefitInput(ctx)
	return &in
}

func (c *checkout) applyBenefitInput(ctx workflow.Context) activities.ApplyBenefitInput {
	return activities.ApplyBenefitInput{
		Resolve: activities.ResolveBenefitsInput{
			CustomerID: c.in.CustomerID, MethodID: c.in.MethodID, Currency: c.in.Currency, At: workflow.Now(ctx),
		},
		PaymentID: c.in.PaymentID, BaseBPS: c.in.PointsRateBPS, CardAmount: c.cardAmount(),
		AtConfirmation: c.in.PointsAtConfirmation, Validity: c.in.PointsValidity,
	}
}
