package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// Membership billing (issue 15 part B, docs/adr/0020): one Temporal Schedule
// per membership (MembershipScheduleID) starts a MembershipTick every month; the
// tick names the period and starts that period's MembershipCharge under the id
// membership:{id}:{period}, which Temporal refuses to start twice. The charge
// is a Checkout (child workflow) of the plan's price, so it goes through the
// same PG activities, capability routing and failover as any checkout.
const (
	MembershipTickName   = "MembershipTick"
	MembershipChargeName = "MembershipCharge"
)

// MembershipProducerID is who a membership charge is booked to: the platform
// sells the membership, so its revenue sits in producer:paysaga-membership:pending.
const MembershipProducerID = "paysaga-membership"

func MembershipScheduleID(membershipID string) string { return "membership:" + membershipID }

// MembershipTickID is the schedule action's id; Temporal appends the time of each run.
func MembershipTickID(membershipID string) string { return "membership:" + membershipID + ":tick" }

// MembershipChargeID is one id per membership and period: the business key.
func MembershipChargeID(membershipID, period string) string {
	return "membership:" + membershipID + ":" + period
}

// MembershipOrderID and MembershipPaymentID name attempt n (1 first, then the
// dunning retries) of a period's charge: each attempt is its own payment.
func MembershipOrderID(membershipID, period string, attempt int) string {
	return MembershipChargeID(membershipID, period) + ":" + strconv.Itoa(attempt)
}

func MembershipPaymentID(membershipID, period string, attempt int) string {
	return "pay_" + strings.TrimPrefix(membershipID, "mem_") + "_" + period + "_" + strconv.Itoa(attempt)
}

// DefaultDunning retries a declined charge 1, 3 and 7 days after the first attempt.
var DefaultDunning = []time.Duration{24 * time.Hour, 72 * time.Hour, 168 * time.Hour}

// MembershipTerms are copied from config when the membership is created (as a
// checkout copies them): a config change never alters a running membership.
type MembershipTerms struct {
	PGs              []string
	FeeBPS           int64
	Dunning          []time.Duration // retries after the first attempt, as offsets from it
	AsyncAuthTimeout time.Duration
	TimeZone         string // names the period; "" is Asia/Seoul
}

type MembershipTickInput struct {
	MembershipID string
	Terms        MembershipTerms
}

type MembershipChargeInput struct {
	MembershipID string
	Period       string    // 202612
	PeriodStart  time.Time // the schedule's nominal time: the period paid runs a month from it
	Terms        MembershipTerms
}

// Membership charge outcomes.
const (
	MembershipChargeSucceeded      = "succeeded"
	MembershipChargeFailed         = "failed"
	MembershipChargeSkipped        = "skipped"
	MembershipChargeAlreadyStarted = "already_started"
)

type MembershipChargeResult struct {
	MembershipID string
	Period       string
	Status       string // succeeded | failed | skipped | already_started
	Reason       string
	PaymentID    string
	Attempts     int
}

var memberships *activities.Memberships

// MembershipTick is what the schedule starts: fix the period from the
// schedule's nominal time, then run that period's charge. A tick fired twice
// in a period (a manual trigger, a catch-up) finds the charge already started
// or done and ends without charging.
func MembershipTick(ctx workflow.Context, in MembershipTickInput) (MembershipChargeResult, error) {
	start := workflow.Now(ctx)
	if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartKey); ok && !t.IsZero() {
		start = t
	}
	tz := in.Terms.TimeZone
	if tz == "" {
		tz = "Asia/Seoul"
	}
	var period string
	err := workflow.SideEffect(ctx, func(workflow.Context) any {
		p, _ := PayoutPeriod(start, tz, CycleMonthly)
		return p
	}).Get(&period)
	if err != nil || period == "" {
		return MembershipChargeResult{}, temporal.NewNonRetryableApplicationError("no period for time zone "+tz, activities.ErrInvalidRequest, err)
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            MembershipChargeID(in.MembershipID, period),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	var res MembershipChargeResult
	err = workflow.ExecuteChildWorkflow(cctx, MembershipChargeName, MembershipChargeInput{
		MembershipID: in.MembershipID, Period: period, PeriodStart: start.UTC(), Terms: in.Terms,
	}).Get(ctx, &res)
	var already *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &already) {
		return MembershipChargeResult{MembershipID: in.MembershipID, Period: period, Status: MembershipChargeAlreadyStarted}, nil
	}
	return res, err
}

// MembershipCharge charges one period: claim it (once per membership and
// period) -> attempt the charge as a Checkout -> on a failure, retry on the
// dunning days while the membership is still active (each failure is
// membership.charge_failed to the app) -> the last failure suspends it.
func MembershipCharge(ctx workflow.Context, in MembershipChargeInput) (MembershipChargeResult, error) {
	out := MembershipChargeResult{MembershipID: in.MembershipID, Period: in.Period}
	var begin activities.BeginMembershipChargeResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), memberships.BeginMembershipCharge, activities.BeginMembershipChargeInput{
		MembershipID: in.MembershipID, Period: in.Period, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, &begin)
	if err != nil {
		return out, err
	}
	if !begin.Charge {
		out.Status, out.Reason = MembershipChargeSkipped, begin.Reason
		return out, nil
	}
	first := workflow.Now(ctx)
	last := len(in.Terms.Dunning) + 1
	for attempt := begin.Attempts + 1; attempt <= last; attempt++ {
		if attempt > 1 {
			if stop, err := waitForRetry(ctx, in, first, attempt); err != nil || stop != "" {
				out.Status, out.Reason, out.Attempts = MembershipChargeFailed, stop, attempt-1
				return out, err
			}
		}
		res := chargeAttempt(ctx, in, begin, attempt)
		rec := activities.RecordMembershipAttemptInput{
			MembershipID: in.MembershipID, Period: in.Period, Attempt: attempt, PaymentID: res.PaymentID,
			Succeeded: res.Status == StatusSucceeded, FailureCode: res.FailureCode, Final: attempt == last,
			PaidUntil: in.PeriodStart.AddDate(0, 1, 0),
		}
		if !rec.Succeeded && !rec.Final {
			rec.NextAttemptAt = first.Add(in.Terms.Dunning[attempt-1])
		}
		if err := workflow.ExecuteLocalActivity(finalCtx(ctx), memberships.RecordMembershipAttempt, rec).Get(ctx, nil); err != nil {
			return out, err
		}
		out.Attempts, out.PaymentID = attempt, res.PaymentID
		if rec.Succeeded {
			out.Status = MembershipChargeSucceeded
			return out, nil
		}
		out.Reason = res.FailureCode
	}
	out.Status = MembershipChargeFailed
	return out, nil
}

// waitForRetry sleeps until the attempt's dunning day, then asks whether the
// membership may still be charged; stop is the reason when it may not.
func waitForRetry(ctx workflow.Context, in MembershipChargeInput, first time.Time, attempt int) (stop string, err error) {
	if d := first.Add(in.Terms.Dunning[attempt-2]).Sub(workflow.Now(ctx)); d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			return "", err
		}
	}
	var still activities.StillChargeableResult
	err = workflow.ExecuteLocalActivity(dbCtx(ctx), memberships.StillChargeable, activities.MembershipRef{
		MembershipID: in.MembershipID, Period: in.Period,
	}).Get(ctx, &still)
	if err != nil {
		return "", err
	}
	if !still.Chargeable {
		return "membership_" + still.Status, nil
	}
	return "", nil
}

// chargeAttempt runs one attempt as a Checkout child workflow: its own order
// and payment, one item booked to the platform. A checkout that errors (it
// could not even record the payment) counts as a failed attempt.
func chargeAttempt(ctx workflow.Context, in MembershipChargeInput, begin activities.BeginMembershipChargeResult, attempt int) CheckoutResult {
	co := CheckoutInput{
		PaymentID:  MembershipPaymentID(in.MembershipID, in.Period, attempt),
		OrderID:    MembershipOrderID(in.MembershipID, in.Period, attempt),
		CustomerID: begin.CustomerID, MethodID: begin.MethodID, Currency: begin.Currency, Amount: begin.Amount,
		Items:  []CheckoutItem{{ProducerID: MembershipProducerID, Amount: begin.Amount}},
		FeeBPS: in.Terms.FeeBPS, PGs: in.Terms.PGs, AsyncAuthTimeout: in.Terms.AsyncAuthTimeout,
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            CheckoutID(co.OrderID),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: CheckoutSearchAttributes(co),
	})
	var res CheckoutResult
	err := workflow.ExecuteChildWorkflow(cctx, CheckoutName, co).Get(ctx, &res)
	var already *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &already) {
		return earlierAttempt(ctx, co.PaymentID)
	}
	if err != nil {
		workflow.GetLogger(ctx).Error("membership checkout failed", "order_id", co.OrderID, "error", err)
		return CheckoutResult{PaymentID: co.PaymentID, Status: StatusFailed, FailureCode: "checkout_error",
			FailureMessage: fmt.Sprint(err)}
	}
	return res
}

// earlierAttempt judges an attempt whose checkout was started by an earlier
// run (a reset, or a re-run after Temporal's retention) by its payment: paid
// is paid, so the period is never charged twice. A payment still on its way
// is waited for, a bounded number of times.
func earlierAttempt(ctx workflow.Context, paymentID string) CheckoutResult {
	for range 20 {
		var o activities.PaymentOutcome
		err := workflow.ExecuteLocalActivity(dbCtx(ctx), memberships.PaymentOutcome, activities.PaymentOutcomeInput{PaymentID: paymentID}).Get(ctx, &o)
		switch {
		case err != nil:
			return CheckoutResult{PaymentID: paymentID, Status: StatusFailed, FailureCode: "checkout_error", FailureMessage: err.Error()}
		case o.Status == StatusSucceeded || o.Status == StatusPartiallyRefunded || o.Status == StatusRefunded:
			return CheckoutResult{PaymentID: paymentID, Status: StatusSucceeded}
		case o.Status == StatusFailed || o.Status == StatusCanceled || o.Status == "":
			return CheckoutResult{PaymentID: paymentID, Status: StatusFailed, FailureCode: o.FailureCode}
		}
		if err := workflow.Sleep(ctx, 30*time.Second); err != nil {
			break
		}
	}
	// Still on its way after ten minutes: counted failed. Should it succeed
	// after all, verify's membership_charged_once_per_period names the period.
	return CheckoutResult{PaymentID: paymentID, Status: StatusFailed, FailureCode: "checkout_in_progress"}
}
