package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/benefit"
	"github.com/paysaga/paysaga/risk"
	"github.com/paysaga/paysaga/tax"
)

// Checkout pays an order with a registered card or bank account, the wallet, or
// both: create the payment -> hold the wallet part -> authorize the rest at the
// primary PG (or, when it is down, the secondary) -> capture -> book the ledger
// (the hold becomes the wallet's posting) and succeed. When a step fails after
// others succeeded, what was done is undone in reverse (void, cancel capture).
// A decline is a result (status failed with its reason), not a workflow error.
func Checkout(ctx workflow.Context, in CheckoutInput) (CheckoutResult, error) {
	c := &checkout{in: in, result: CheckoutResult{PaymentID: in.PaymentID}}
	if err := validateCheckout(in); err != nil {
		c.result.Status, c.result.FailureCode, c.result.FailureMessage = StatusFailed, "invalid_request", err.Error()
		return c.result, nil
	}
	// A card-only checkout opens in one commit with its first PG call; any
	// other (another tender, a run recorded before) opens step by step, each
	// tender's hold in its place between the risk evaluation and the card.
	o, err := c.openInOneCommit(ctx)
	if err != nil {
		return c.fail(ctx, err, "authorize_failed")
	}
	if !o.opened {
		if err := c.create(ctx); err != nil {
			return c.result, err // nothing has moved; the workflow fails visibly for ops
		}
		// Runs recorded before risk evaluation existed go on without it.
		if workflow.GetVersion(ctx, riskChangeID, workflow.DefaultVersion, 1) == 1 {
			if err := c.evaluateRisk(ctx); err != nil {
				return c.fail(ctx, err, "risk_unavailable")
			}
		}
		if c.in.InstallmentMonths > 0 && workflow.GetVersion(ctx, installmentsChangeID, workflow.DefaultVersion, 1) == 1 {
			if err := c.recordInstallment(ctx); err != nil {
				return c.fail(ctx, err, "internal_error")
			}
		}
		if err := c.benefitStep(ctx); err != nil {
			return c.fail(ctx, err, "internal_error")
		}
		if c.in.WalletAmount > 0 {
			if err := c.holdWallet(ctx); err != nil {
				return c.fail(ctx, err, "wallet_hold_failed")
			}
			c.saga.add("release_wallet_hold", c.releaseHold)
		}
		if err := c.pointsTenderStep(ctx); err != nil {
			return c.fail(ctx, err, "points_hold_failed")
		}
	} else if !o.benefit {
		// Opened in one commit without its benefit (a run recorded before, or a
		// failover): the rules are read once the payment exists.
		if err := c.benefitStep(ctx); err != nil {
			return c.fail(ctx, err, "internal_error")
		}
	}
	var auth activities.AuthorizeResult
	oneCommit := false
	if c.cardAmount() > 0 {
		// A bank account is billed by the connectors that bill accounts (firm
		// banking under the defaults), not by the card PGs. Only a checkout
		// started with a method kind takes this branch (never one opened in
		// one commit: opensInOneCommit leaves bank accounts out).
		if !o.authorized && c.in.MethodKind == MethodBankAccount && workflow.GetVersion(ctx, bankDebitChangeID, workflow.DefaultVersion, 1) == 1 {
			if err := c.routeBankAccount(ctx); err != nil {
				return c.fail(ctx, err, "provider_unavailable")
			}
		}
		auth = o.auth
		if !o.authorized {
			if auth, err = c.authorize(ctx, o.nextPG); err != nil {
				return c.fail(ctx, err, "authorize_failed")
			}
		}
		c.saga.add("void_authorization", c.cancelAt(auth, "void", "checkout failed after authorization"))
		if auth.Pending {
			// Only a PG that answers "pending" takes this branch; no earlier
			// history did, so the command sequence of recorded runs is unchanged.
			if err := c.awaitAuthorization(ctx, auth); err != nil {
				return c.fail(ctx, err, "authorize_failed")
			}
		}
		// A PG that approved and captured in one call leaves one commit to make:
		// the authorization's record goes into the posting's transaction.
		oneCommit = c.commitsOnceAfterPG(ctx, auth)
		if !oneCommit {
			if err := c.markAuthorized(ctx, auth); err != nil {
				return c.fail(ctx, err, "internal_error")
			}
		}
		if !c.approvedInOneCall(ctx, auth) {
			if err := c.capture(ctx, auth); err != nil {
				return c.fail(ctx, err, "capture_failed")
			}
		}
		// Once captured, a void is no longer possible: undo means cancelling the capture.
		c.saga.drop("void_authorization")
		c.saga.add("cancel_capture", c.cancelAt(auth, "cancel-capture", "checkout failed after capture"))
	}
	earnsAtCapture := c.pointsRate() > 0 && c.cardAmount() > 0 && !c.earnsAtConfirmation()
	earned, err := c.post(ctx, auth, oneCommit, earnsAtCapture)
	if err != nil {
		if oneCommit { // the posting did not commit: keep the PG's key on the payment for ops
			_ = c.markAuthorized(ctx, auth)
		}
		return c.fail(ctx, err, "ledger_error")
	}
	if earnsAtCapture && !earned && workflow.GetVersion(ctx, pointsEarnChangeID, workflow.DefaultVersion, 1) == 1 {
		c.earnPoints(ctx)
	}
	return c.succeed(ctx, auth)
}

// succeed ends a checkout whose money has moved and is booked: steps that
// follow a successful payment (a cash receipt for a bank or wallet part)
// hook in here, after the posting, where nothing is left to compensate.
func (c *checkout) succeed(ctx workflow.Context, auth activities.AuthorizeResult) (CheckoutResult, error) {
	if amount, _ := c.receiptAmount(); amount > 0 && workflow.GetVersion(ctx, cashReceiptChangeID, workflow.DefaultVersion, 1) == 1 {
		c.oweCashReceipt(ctx, auth.PG)
	}
	c.setStatus(ctx, StatusSucceeded)
	c.result.Status, c.result.PG = StatusSucceeded, auth.PG
	return c.result, nil
}

// benefitStep evaluates finance's benefit rules for the card part (issue 15).
func (c *checkout) benefitStep(ctx workflow.Context) error {
	if c.in.Benefits && c.cardAmount() > 0 && workflow.GetVersion(ctx, benefitRulesChangeID, workflow.DefaultVersion, 1) == 1 {
		return c.evaluateBenefit(ctx)
	}
	return nil
}

// checkout is one run's state; its methods are the steps, in the order called.
type checkout struct {
	in      CheckoutInput
	result  CheckoutResult
	saga    saga
	benefit *benefit.Result // evaluated from the rule set in force; nil: not evaluated
	// route is the connectors a bank account is billed at (routeBankAccount);
	// nil: the checkout's PGs.
	route []string
}

// bankDebitChangeID versions the bank-account route (issue 12): a checkout
// paid by bank account asks which connectors bill accounts before it is
// authorized there.
const bankDebitChangeID = "i12-bank-debit"

// routeBankAccount asks which connectors bill the bank account (by
// capability, never by name) and routes the authorization there.
func (c *checkout) routeBankAccount(ctx workflow.Context) error {
	var res activities.RouteMethodResult
	err := workflow.ExecuteLocalActivity(providerCtx(ctx), payments.RouteMethod, activities.RouteMethodInput{
		PaymentID: c.in.PaymentID, MethodID: c.in.MethodID, Kind: c.in.MethodKind, PGs: c.in.PGs,
	}).Get(ctx, &res)
	if err != nil {
		return err
	}
	c.route = res.PGs
	return nil
}

// pgs is the routing order of the authorization: the bank-account route, or
// the checkout's PGs.
func (c *checkout) pgs() []string {
	if c.route != nil {
		return c.route
	}
	return c.in.PGs
}

// Activity receivers: nil is fine, the worker resolves registered instances by name.
var (
	store    *activities.Store
	payments *activities.Payments
	book     *activities.Ledger
	wallet   *activities.Wallet
	riskActs *activities.Risk
	opener   *activities.Opening
)

// riskChangeID versions the risk evaluation added at the start of the saga.
const riskChangeID = "risk-evaluation"

// installmentsChangeID versions the installment record written before the
// card is charged. Only a checkout with installment months takes that branch.
const installmentsChangeID = "installments"

// pointsEarnChangeID versions the points earned at capture. Only a checkout
// started with a points rate takes that branch.
const pointsEarnChangeID = "points-earn"

// benefitRulesChangeID versions the benefit evaluation (issue 15) added before
// the wallet hold. Only a checkout started with Benefits takes that branch.
const benefitRulesChangeID = "i15-benefit-rules"

// evaluateBenefit resolves the rule set in force at the checkout's start, the
// card's issuer and BIN and the customer's tier (an activity), computes the
// benefit from them here (benefit.Evaluate, pure, so a replay computes the
// same), and records it with its rule set version on the payment before the
// card is charged.
func (c *checkout) evaluateBenefit(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, benefitInOpeningChangeID, workflow.DefaultVersion, 1) == 1 {
		// One transaction: the facts, the evaluation and the record (issue 19).
		var b benefit.Result
		if err := workflow.ExecuteLocalActivity(dbCtx(ctx), points.ApplyBenefit, c.applyBenefitInput(ctx)).Get(ctx, &b); err != nil {
			return err
		}
		c.benefit = &b
		return nil
	}
	var r activities.ResolveBenefitsResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), points.ResolveBenefits, activities.ResolveBenefitsInput{
		CustomerID: c.in.CustomerID, MethodID: c.in.MethodID, Currency: c.in.Currency, At: workflow.Now(ctx),
	}).Get(ctx, &r)
	if err != nil {
		return err
	}
	b := benefit.Evaluate(r.RuleSet, r.Card, r.Tier, c.in.PointsRateBPS, c.cardAmount())
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), store.RecordBenefit, activities.RecordBenefitInput{
		PaymentID: c.in.PaymentID, Benefit: b, AtConfirmation: c.in.PointsAtConfirmation, Validity: c.in.PointsValidity,
	}).Get(ctx, nil); err != nil {
		return err
	}
	c.benefit = &b
	return nil
}

// earnsAtConfirmation: the evaluated benefit's points are earned per item at
// purchase confirmation (Fulfilment), so the capture earns none.
func (c *checkout) earnsAtConfirmation() bool { return c.benefit != nil && c.in.PointsAtConfirmation }

// pointsRate is the rate of the card part earned as points: the evaluated
// benefit's when there is one, else the flat rate the checkout started with.
func (c *checkout) pointsRate() int64 {
	if c.benefit != nil {
		return c.benefit.RateBPS
	}
	return c.in.PointsRateBPS
}

// earnInput is what the card part earns at capture.
func (c *checkout) earnInput(ctx workflow.Context) activities.EarnPointsInput {
	return activities.EarnPointsInput{
		PaymentID: c.in.PaymentID, CustomerID: c.in.CustomerID, Currency: c.in.Currency,
		Base: c.cardCharge(), RateBPS: c.pointsRate(), At: workflow.Now(ctx), Validity: c.in.PointsValidity,
		Capped: c.benefit != nil && c.benefit.MonthlyPointsCap >= 0, MonthlyCap: c.monthlyCap(),
	}
}

// earnPoints credits the points of the captured card part. The money has
// moved: a failure here does not fail the payment; it is on the timeline for
// ops, and the earning (idempotent by payment) can be re-run.
func (c *checkout) earnPoints(ctx workflow.Context) {
	var res activities.EarnPointsResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), points.EarnPoints, c.earnInput(ctx)).Get(ctx, &res)
	if err != nil {
		c.event(ctx, "points_earn_failed", map[string]string{"error": err.Error()})
		return
	}
	c.result.PointsEarned = res.Points
}

func (c *checkout) monthlyCap() int64 {
	if c.benefit == nil {
		return 0
	}
	return max(c.benefit.MonthlyPointsCap, 0)
}

// recordInstallment stores the card part's plan (and who pays its interest).
func (c *checkout) recordInstallment(ctx workflow.Context) error {
	return workflow.ExecuteLocalActivity(dbCtx(ctx), store.RecordInstallment, c.installmentInput()).Get(ctx, nil)
}

func (c *checkout) installmentInput() activities.RecordInstallmentInput {
	return activities.RecordInstallmentInput{PaymentID: c.in.PaymentID, Months: c.in.InstallmentMonths, Plan: c.in.InterestFreePlan}
}

// evaluateRisk asks the rules before anything moves; a block is a
// non-retryable RiskBlocked error, and the payment fails with risk_blocked.
func (c *checkout) evaluateRisk(ctx workflow.Context) error {
	var d activities.RiskDecision
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), riskActs.EvaluateRisk, c.riskInput()).Get(ctx, &d)
	if err != nil {
		return err
	}
	if d.Decision == risk.Block {
		return activities.RiskBlockedError(d)
	}
	return nil
}

func (c *checkout) riskInput() activities.EvaluateRiskInput {
	methodID := ""
	if c.cardAmount() > 0 {
		methodID = c.in.MethodID
	}
	return activities.EvaluateRiskInput{
		PaymentID: c.in.PaymentID, CustomerID: c.in.CustomerID, MethodID: methodID,
		DeviceID: c.in.DeviceID, IP: c.in.IP, Currency: c.in.Currency, Amount: c.in.Amount,
	}
}

// cardAmount is what the card or bank account pays: the rest of the wallet
// and points parts.
func (c *checkout) cardAmount() int64 { return c.in.Amount - c.in.WalletAmount - c.in.PointsAmount }

// cardTaxFree is the tax-free part of the card's amount: the payment's
// tax-free share of it (tax.TaxFreeUpTo), the wallet part carrying the rest.
func (c *checkout) cardTaxFree() int64 {
	return tax.TaxFreeUpTo(c.in.Amount, taxFreeOf(c.in.Items), c.cardAmount())
}

// taxFreeOf is the items' total tax-free amount.
func taxFreeOf(items []CheckoutItem) int64 {
	var sum int64
	for _, it := range items {
		sum += it.TaxFreeAmount
	}
	return sum
}

func (c *checkout) holdWallet(ctx workflow.Context) error {
	return workflow.ExecuteLocalActivity(dbCtx(ctx), wallet.HoldWallet, activities.HoldWalletInput{
		PaymentID: c.in.PaymentID, CustomerID: c.in.CustomerID, Currency: c.in.Currency, Amount: c.in.WalletAmount,
	}).Get(ctx, nil)
}

func (c *checkout) releaseHold(ctx workflow.Context) error {
	return workflow.ExecuteLocalActivity(ctx, wallet.ReleaseHold, activities.HoldRef{PaymentID: c.in.PaymentID}).Get(ctx, nil)
}

func (c *checkout) create(ctx workflow.Context) error {
	return workflow.ExecuteLocalActivity(dbCtx(ctx), store.CreatePayment, c.createInput(ctx)).Get(ctx, nil)
}

func (c *checkout) createInput(ctx workflow.Context) activities.CreatePaymentInput {
	items := make([]activities.ItemInput, len(c.in.Items))
	for i, it := range c.in.Items {
		items[i] = activities.ItemInput{ProducerID: it.ProducerID, Amount: it.Amount, TaxFreeAmount: it.TaxFreeAmount}
	}
	return activities.CreatePaymentInput{
		PaymentID: c.in.PaymentID, OrderID: c.in.OrderID, CustomerID: c.in.CustomerID, MethodID: c.in.MethodID,
		Currency: c.in.Currency, Amount: c.in.Amount, WalletAmount: c.in.WalletAmount, PointsAmount: c.in.PointsAmount,
		FeeBPS: c.in.FeeBPS, Items: items,
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}
}

// authorize tries the PGs in routing order (c.pgs()) from index from. It moves to
// the next PG only when the current one certainly did not process the request
// (outage, no billing key there); any other failure stays with that PG, so a
// payment is never authorized at two PGs.
func (c *checkout) authorize(ctx workflow.Context, from int) (activities.AuthorizeResult, error) {
	var lastErr error
	pgs := c.pgs()
	for i := from; i < len(pgs); i++ {
		pg := pgs[i]
		var res activities.AuthorizeResult
		err := workflow.ExecuteLocalActivity(providerCtx(ctx), payments.Authorize, c.authorizeInput(pg)).Get(ctx, &res)
		if err == nil {
			if i > 0 {
				c.event(ctx, "failover", map[string]string{"from": c.pgs()[0], "to": pg})
			}
			return res, nil
		}
		lastErr = err
		if activities.IsType(err, activities.ErrProviderUnavailable) {
			c.event(ctx, "pg_unavailable:"+pg, nil)
			continue
		}
		if !activities.IsType(err, activities.ErrDeclined) && !activities.IsType(err, activities.ErrInvalidRequest) {
			// Retries ran out (or the workflow was cancelled) with the outcome unknown:
			// make sure no authorization is left behind under our key.
			c.voidUnknownAt(pg)
		}
		return res, err
	}
	return activities.AuthorizeResult{}, lastErr
}

// voidUnknownAt adds the compensation for an authorization whose outcome at
// pg stayed unknown.
func (c *checkout) voidUnknownAt(pg string) {
	c.saga.add("void_unknown_authorization", func(ctx workflow.Context) error {
		return workflow.ExecuteLocalActivity(ctx, payments.VoidByKey,
			activities.VoidByKeyInput{PaymentID: c.in.PaymentID, PG: pg}).Get(ctx, nil)
	})
}

func (c *checkout) authorizeInput(pg string) activities.AuthorizeInput {
	return activities.DiscountedCharge(activities.AuthorizeInput{
		PaymentID: c.in.PaymentID, OrderID: c.in.OrderID, CustomerID: c.in.CustomerID, MethodID: c.in.MethodID,
		PG: pg, Amount: c.cardAmount(), Currency: c.in.Currency, TaxFreeAmount: c.cardTaxFree(),
		InstallmentMonths: c.in.InstallmentMonths, InterestFree: c.in.InterestFreePlan != "",
	}, c.discount())
}

// discount is the instant discount the benefit took off the card part
// (issue 15; 0 without one, and in every run recorded before).
func (c *checkout) discount() int64 {
	if c.benefit == nil {
		return 0
	}
	return c.benefit.Discount
}

// cardCharge is what the PG charges: the card part less the discount.
func (c *checkout) cardCharge() int64 { return c.cardAmount() - c.discount() }

// awaitAuthorization waits for the PG's decision on a pending authorization:
// the pg-result signal (sent by POST /v1/webhooks/{pg} once the webhook's
// signature verifies) or, when none comes within AsyncAuthTimeout, the PG's
// answer to a query. The first decision for this payment key wins; duplicates
// and later contradicting signals change nothing.
func (c *checkout) awaitAuthorization(ctx workflow.Context, auth activities.AuthorizeResult) error {
	c.event(ctx, "authorization_pending", map[string]string{"pg": auth.PG})
	timeout := c.in.AsyncAuthTimeout
	if timeout <= 0 {
		timeout = DefaultAsyncAuthTimeout
	}
	tctx, stopTimer := workflow.WithCancel(ctx)
	defer stopTimer()
	timer := workflow.NewTimer(tctx, timeout)
	signals := workflow.GetSignalChannel(ctx, SignalPGResult)
	var status, code, source string
	for status == "" {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(signals, func(ch workflow.ReceiveChannel, _ bool) {
			var sig PGResultSignal
			ch.Receive(ctx, &sig)
			if sig.PaymentKey == auth.PaymentKey && (sig.Status == "authorized" || sig.Status == "declined") {
				status, code, source = sig.Status, sig.Code, "webhook"
			}
		})
		sel.AddFuture(timer, func(workflow.Future) {
			var st activities.AuthorizationStatus
			err := workflow.ExecuteLocalActivity(providerCtx(ctx), payments.GetAuthorization, activities.GetAuthorizationInput{
				PG: auth.PG, PaymentKey: auth.PaymentKey,
			}).Get(ctx, &st)
			status, source = st.Status, "query"
			if err != nil || st.Status == "pending" {
				status = "timeout"
			}
		})
		sel.Select(ctx)
	}
	c.event(ctx, "authorization_"+status, map[string]string{"source": source})
	switch status {
	case "authorized":
		return nil
	case "declined":
		c.saga.drop("void_authorization") // the PG declined it: nothing to void
		if code == "" {
			code = "CARD_DECLINED"
		}
		f := activities.Failure{Code: strings.ToLower(code), Message: "the card issuer declined the payment"}
		return temporal.NewNonRetryableApplicationError(f.Message, activities.ErrDeclined, nil, f)
	}
	f := activities.Failure{Code: "authorization_timeout", Message: "the PG did not decide in time; the authorization is voided"}
	return temporal.NewNonRetryableApplicationError(f.Message, activities.ErrProviderUnavailable, nil, f)
}

func (c *checkout) markAuthorized(ctx workflow.Context, auth activities.AuthorizeResult) error {
	c.setStatus(ctx, StatusAuthorized)
	return workflow.ExecuteLocalActivity(dbCtx(ctx), store.MarkAuthorized, activities.MarkAuthorizedInput{
		PaymentID: c.in.PaymentID, PG: auth.PG, PaymentKey: auth.PaymentKey, FailedOver: auth.PG != c.pgs()[0],
	}).Get(ctx, nil)
}

// approvedInOneCall: the PG's approval already captured (a PG without separate
// capture, such as Toss billing), so there is no capture step. Only such a PG
// answers Captured, which no recorded history did; the version marker keeps
// the decision stable for runs started before this code.
func (c *checkout) approvedInOneCall(ctx workflow.Context, auth activities.AuthorizeResult) bool {
	if !auth.Captured {
		return false
	}
	return workflow.GetVersion(ctx, "approve-in-one-call", workflow.DefaultVersion, 1) == 1
}

// oneCommitChangeID versions the merge of MarkAuthorized into PostCapture for a
// PG that approves in one call (issue 19: one PostgreSQL transaction after the
// provider call instead of two).
const oneCommitChangeID = "one-commit-after-pg"

// commitsOnceAfterPG: the approval already captured, so the authorization is
// recorded with the posting rather than in a transaction of its own. Runs
// started before this code keep their MarkAuthorized step.
func (c *checkout) commitsOnceAfterPG(ctx workflow.Context, auth activities.AuthorizeResult) bool {
	if !auth.Captured || auth.Pending {
		return false
	}
	return workflow.GetVersion(ctx, oneCommitChangeID, workflow.DefaultVersion, 1) == 1
}

func (c *checkout) capture(ctx workflow.Context, auth activities.AuthorizeResult) error {
	return workflow.ExecuteLocalActivity(providerCtx(ctx), payments.Capture, activities.CaptureInput{
		PaymentID: c.in.PaymentID, PG: auth.PG, PaymentKey: auth.PaymentKey, Amount: c.cardCharge(),
	}).Get(ctx, nil)
}

// post books the capture. When the card part earns points at capture, runs
// since i19-points-in-posting earn them in the posting's transaction
// (PostCaptureEarning) and answer earned; older runs earn in a step after it.
func (c *checkout) post(ctx workflow.Context, auth activities.AuthorizeResult, withAuthorization, earnsAtCapture bool) (earned bool, err error) {
	in := activities.PostCaptureInput{PaymentID: c.in.PaymentID, PG: auth.PG, PaymentKey: auth.PaymentKey, Discount: c.discount()}
	if withAuthorization {
		in.Authorized, in.FailedOver = true, auth.PG != c.pgs()[0]
	}
	if !earnsAtCapture || workflow.GetVersion(ctx, pointsInPostingChangeID, workflow.DefaultVersion, 1) != 1 {
		return false, workflow.ExecuteLocalActivity(dbCtx(ctx), book.PostCapture, in).Get(ctx, nil)
	}
	earn := c.earnInput(ctx)
	in.Points = &earn
	var res activities.PostCaptureResult
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), book.PostCaptureEarning, in).Get(ctx, &res); err != nil {
		return false, err
	}
	c.result.PointsEarned = res.PointsEarned
	return true, nil
}

// pointsInPostingChangeID versions the points earned at capture inside the
// posting's transaction (issue 19: no commit after it) instead of in an
// EarnPoints step of their own.
const pointsInPostingChangeID = "i19-points-in-posting"

// cancelAt builds a compensation that cancels the payment at its PG under the
// idempotency key payment:{id}:{what}.
func (c *checkout) cancelAt(auth activities.AuthorizeResult, what, reason string) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		return workflow.ExecuteLocalActivity(ctx, payments.Cancel, activities.CancelInput{
			Key: "payment:" + c.in.PaymentID + ":" + what, PG: auth.PG, PaymentKey: auth.PaymentKey, Reason: reason,
		}).Get(ctx, nil)
	}
}

// fail undoes what was done, records the reason and answers failed.
func (c *checkout) fail(ctx workflow.Context, cause error, fallbackCode string) (CheckoutResult, error) {
	if temporal.IsCanceledError(cause) {
		fallbackCode = "canceled"
	}
	f := activities.FailureOf(cause, fallbackCode)
	if undone := c.saga.compensate(ctx); len(undone) > 0 {
		// Money may still be held at the PG: keep the evidence on the timeline for ops.
		c.event(disconnected(ctx), "compensation_failed", map[string]string{"steps": fmt.Sprint(undone)})
	}
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), store.FailPayment, activities.FailPaymentInput{
		PaymentID: c.in.PaymentID, Code: f.Code, Message: f.Message,
	}).Get(ctx, nil)
	if err != nil {
		return c.result, fmt.Errorf("record failure of %s: %w", c.in.PaymentID, err)
	}
	c.setStatus(disconnected(ctx), StatusFailed)
	c.result.Status, c.result.FailureCode, c.result.FailureMessage = StatusFailed, f.Code, f.Message
	return c.result, nil
}

// event records a timeline step; it is informational, so a failure is only logged.
func (c *checkout) event(ctx workflow.Context, step string, detail map[string]string) {
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), store.RecordEvent, activities.RecordEventInput{
		PaymentID: c.in.PaymentID, Step: step, Detail: detail,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("timeline event not recorded", "step", step, "error", err)
	}
}

func (c *checkout) setStatus(ctx workflow.Context, status string) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, PaymentStatusKey.ValueSet(status)); err != nil {
		workflow.GetLogger(ctx).Warn("status search attribute not set", "status", status, "error", err)
	}
}

// validateCheckout re-checks the invariants the API validated, so a workflow
// started by any other client cannot book an inconsistent payment.
func validateCheckout(in CheckoutInput) error {
	switch {
	case in.PaymentID == "" || in.OrderID == "" || in.CustomerID == "":
		return errors.New("payment, order and customer ids are required")
	case in.Amount <= 0:
		return errors.New("amount must be > 0")
	case in.WalletAmount < 0 || in.WalletAmount > in.Amount:
		return errors.New("wallet amount must be within 0..amount")
	case in.PointsAmount < 0 || in.PointsAmount > in.Amount-in.WalletAmount:
		return errors.New("points amount must be within 0..amount - wallet amount")
	case in.WalletAmount+in.PointsAmount < in.Amount && in.MethodID == "":
		return errors.New("a method is required for the part the wallet and points do not pay")
	case len(in.Items) == 0:
		return errors.New("at least one item is required")
	case in.WalletAmount+in.PointsAmount < in.Amount && len(in.PGs) == 0:
		return errors.New("no PG to route to")
	case in.FeeBPS < 0 || in.FeeBPS > 10_000:
		return errors.New("fee rate out of range")
	case in.InstallmentMonths != 0 && (in.InstallmentMonths < 2 || in.InstallmentMonths > 12):
		return errors.New("installment months must be 0 or 2..12")
	case in.InstallmentMonths != 0 && in.WalletAmount+in.PointsAmount == in.Amount:
		return errors.New("installments need a card part")
	case in.InterestFreePlan != "" && in.InstallmentMonths == 0:
		return errors.New("an interest-free plan needs installment months")
	case in.PointsRateBPS < 0 || in.PointsRateBPS > 10_000 || (in.PointsRateBPS > 0 && in.PointsValidity <= 0):
		return errors.New("points rate must be within 0..10000 bps, with a validity")
	case in.Benefits && in.PointsValidity <= 0:
		return errors.New("benefits need a points validity")
	}
	var sum int64
	for _, it := range in.Items {
		if it.Amount <= 0 || it.Amount > in.Amount-sum {
			return errors.New("item amounts must be > 0 and sum to the amount")
		}
		if it.TaxFreeAmount < 0 || it.TaxFreeAmount > it.Amount {
			return errors.New("an item's tax-free amount must be within 0..its amount")
		}
		sum += it.Amount
	}
	if sum != in.Amount {
		return errors.New("item amounts must sum to the amount")
	}
	return nil
}
