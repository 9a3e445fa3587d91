package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// Cash receipts (현금영수증, issue 14). A payment or top-up that owes one
// writes its row (activities.PlanCashReceipt) and starts CashReceipt, an
// abandoned child with the stable id receipt-{payment}, so the receipt is
// issued exactly once and never holds up, fails or rolls back the payment. A
// refund that gives back receipted money starts CashReceiptCancel,
// receipt-cancel-{refund}.
const (
	CashReceiptName       = "CashReceipt"
	CashReceiptCancelName = "CashReceiptCancel"
)

func CashReceiptID(subject string) string        { return "receipt-" + subject }
func CashReceiptCancelID(refundID string) string { return "receipt-cancel-" + refundID }

// cashReceiptChangeID versions the receipt steps added to Checkout, Refund
// and TopUp.
const cashReceiptChangeID = "i14-cash-receipt"

// Receipt defaults when the input carries none.
const (
	DefaultReceiptRetryEvery = 10 * time.Minute // between rounds of bounded retries while the PG is down
	DefaultReceiptPollEvery  = time.Minute      // first wait for the NTS's registration (doubling to an hour)
	receiptRoundsPerRun      = 50               // rounds before continue-as-new keeps the history short
	receiptMaxPolls          = 48               // look-ups before an unregistered receipt is left to ops
)

// CashReceiptPlan is fixed when the checkout (or top-up) starts, copied from
// config so a config change never alters a running payment.
type CashReceiptPlan struct {
	Method     bool     // the method's part is cash (a bank account)
	Wallet     bool     // the wallet's part is receipted at spend (PAYSAGA_CASH_RECEIPT_AT=spend)
	PGs        []string // receipt connectors in routing order (the PG that served the payment goes first)
	RetryEvery time.Duration
	PollEvery  time.Duration
}

// CashReceiptInput names the receipt; Round carries over continue-as-new.
type CashReceiptInput struct {
	ReceiptID  string
	PGs        []string
	RetryEvery time.Duration
	PollEvery  time.Duration
	Round      int
}

type CashReceiptResult struct {
	ReceiptID string
	Status    string // registered | issued (left unregistered to ops) | failed
}

// CashReceiptKey is the receipt workflow's state for ops: pending (the PG
// refused or was down through a round of retries; retried later), failed (the
// PG refuses it for good), issued, registered, unregistered (the NTS did not
// confirm within the polls).
var CashReceiptKey = temporal.NewSearchAttributeKeyKeyword("CashReceipt")

// receipts is the activity receiver; nil is fine (resolved by name).
var receipts *activities.Receipts

// CashReceipt issues the receipt, retrying in rounds until the PG takes it,
// then follows it until the NTS has registered it.
func CashReceipt(ctx workflow.Context, in CashReceiptInput) (CashReceiptResult, error) {
	r := receiptRun{in: in, ref: activities.ReceiptRef{ReceiptID: in.ReceiptID, PGs: in.PGs}}
	st, err := r.issue(ctx)
	if err != nil || st.Status == "failed" {
		return CashReceiptResult{ReceiptID: in.ReceiptID, Status: "failed"}, err
	}
	r.setState(ctx, st.Status)
	return CashReceiptResult{ReceiptID: in.ReceiptID, Status: r.awaitRegistration(ctx, st)}, nil
}

type receiptRun struct {
	in  CashReceiptInput
	ref activities.ReceiptRef
}

// issue calls the PG with bounded retries; when they run out the receipt is
// an ops item (event + CashReceipt=pending) and is tried again RetryEvery
// later, for as long as it takes.
func (r *receiptRun) issue(ctx workflow.Context) (activities.CashReceiptState, error) {
	for round := r.in.Round; ; round++ {
		var st activities.CashReceiptState
		err := workflow.ExecuteActivity(receiptCtx(ctx), receipts.IssueCashReceipt, r.ref).Get(ctx, &st)
		if err == nil {
			if round > 0 {
				r.event(ctx, "cash_receipt_issued_after_retries", nil)
			}
			return st, nil
		}
		if activities.IsType(err, activities.ErrInvalidRequest) || activities.IsType(err, activities.ErrDeclined) {
			f := activities.FailureOf(err, "receipt_refused")
			r.event(ctx, "cash_receipt_failed", map[string]string{"code": f.Code})
			r.setState(ctx, "failed")
			ferr := workflow.ExecuteLocalActivity(dbCtx(ctx), receipts.FailCashReceipt,
				activities.FailCashReceiptInput{ReceiptID: r.in.ReceiptID, Reason: f.Code + ": " + f.Message}).Get(ctx, nil)
			return activities.CashReceiptState{Status: "failed"}, ferr
		}
		if round == r.in.Round {
			r.event(ctx, "cash_receipt_pending", map[string]string{"error": err.Error()})
			r.setState(ctx, "pending")
		}
		if err := workflow.Sleep(ctx, orDefault(r.in.RetryEvery, DefaultReceiptRetryEvery)); err != nil {
			return activities.CashReceiptState{}, err
		}
		if round+1-r.in.Round >= receiptRoundsPerRun {
			next := r.in
			next.Round = round + 1
			return activities.CashReceiptState{}, workflow.NewContinueAsNewError(ctx, CashReceiptName, next)
		}
	}
}

// awaitRegistration looks the receipt up, waiting longer each time, until the
// NTS has registered it; a receipt still unregistered after the polls is left
// to ops (event + CashReceipt=unregistered).
func (r *receiptRun) awaitRegistration(ctx workflow.Context, st activities.CashReceiptState) string {
	wait := orDefault(r.in.PollEvery, DefaultReceiptPollEvery)
	for i := 0; st.Status == "issued"; i++ {
		if i == receiptMaxPolls {
			r.event(ctx, "cash_receipt_unregistered", nil)
			r.setState(ctx, "unregistered")
			return st.Status
		}
		if workflow.Sleep(ctx, wait) != nil {
			return st.Status
		}
		wait = min(2*wait, time.Hour)
		var next activities.CashReceiptState
		if err := workflow.ExecuteActivity(receiptCtx(ctx), receipts.ObserveCashReceipt, r.ref).Get(ctx, &next); err == nil {
			st = next
		}
	}
	if st.Status == "registered" {
		r.event(ctx, "cash_receipt_registered", map[string]string{"issue_number": st.IssueNumber})
	}
	r.setState(ctx, st.Status)
	return st.Status
}

func (r *receiptRun) event(ctx workflow.Context, step string, detail map[string]string) {
	receiptEvent(ctx, r.in.ReceiptID, step, detail)
}

func (r *receiptRun) setState(ctx workflow.Context, state string) { setReceiptState(ctx, state) }

// receiptEvent records a step on the payment's timeline; informational.
func receiptEvent(ctx workflow.Context, receiptID, step string, detail map[string]string) {
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), receipts.ReceiptEvent, activities.ReceiptEventInput{
		ReceiptID: receiptID, Step: step, Detail: detail,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("receipt event not recorded", "step", step, "error", err)
	}
}

func setReceiptState(ctx workflow.Context, state string) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, CashReceiptKey.ValueSet(state)); err != nil {
		workflow.GetLogger(ctx).Warn("receipt search attribute not set", "state", state, "error", err)
	}
}

// CashReceiptCancelInput names the refund whose planned cancel is due.
type CashReceiptCancelInput struct {
	RefundID   string
	ReceiptID  string
	RetryEvery time.Duration
	Round      int
}

type CashReceiptCancelResult struct {
	RefundID string
	Status   string // done | failed
}

// CashReceiptCancel takes the refund's part of the receipt back at the PG.
// It waits while the receipt is not issued yet (its PG was down at the
// payment) and retries in rounds like the issue; a cancel the PG refuses for
// good is left to ops.
func CashReceiptCancel(ctx workflow.Context, in CashReceiptCancelInput) (CashReceiptCancelResult, error) {
	out := CashReceiptCancelResult{RefundID: in.RefundID}
	for round := in.Round; ; round++ {
		err := workflow.ExecuteActivity(receiptCtx(ctx), receipts.CancelCashReceipt,
			activities.CancelCashReceiptInput{RefundID: in.RefundID}).Get(ctx, nil)
		if err == nil {
			out.Status = "done"
			return out, nil
		}
		waiting := activities.IsType(err, activities.ErrReceiptNotIssued)
		if !waiting && (activities.IsType(err, activities.ErrInvalidRequest) || activities.IsType(err, activities.ErrDeclined)) {
			f := activities.FailureOf(err, "receipt_cancel_refused")
			receiptEvent(ctx, in.ReceiptID, "cash_receipt_cancel_failed:"+in.RefundID, map[string]string{"code": f.Code})
			setReceiptState(ctx, "failed")
			out.Status = "failed"
			return out, nil
		}
		if round == in.Round && !waiting {
			receiptEvent(ctx, in.ReceiptID, "cash_receipt_cancel_pending:"+in.RefundID, map[string]string{"error": err.Error()})
			setReceiptState(ctx, "pending")
		}
		if err := workflow.Sleep(ctx, orDefault(in.RetryEvery, DefaultReceiptRetryEvery)); err != nil {
			return out, err
		}
		if round+1-in.Round >= receiptRoundsPerRun {
			next := in
			next.Round = round + 1
			return out, workflow.NewContinueAsNewError(ctx, CashReceiptCancelName, next)
		}
	}
}

// startReceiptWorkflow starts an abandoned child under a stable id: it
// outlives the payment's workflow, and a second start (a replayed or reset
// parent) finds the first. A start that fails is on the timeline for ops; the
// receipt's row is already written, and verify reports it.
func startReceiptWorkflow(ctx workflow.Context, receiptID, workflowID, name string, in any) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            workflowID,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	err := workflow.ExecuteChildWorkflow(cctx, name, in).GetChildWorkflowExecution().Get(ctx, nil)
	if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		receiptEvent(ctx, receiptID, "cash_receipt_not_started", map[string]string{"workflow_id": workflowID, "error": err.Error()})
	}
}

// receiptCtx is for the receipt PG's calls: a few bounded retries with the
// same key; a refusal is final; an outage ends the round (the workflow waits
// and tries again).
func receiptCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        5,
			NonRetryableErrorTypes: []string{activities.ErrInvalidRequest, activities.ErrDeclined, activities.ErrReceiptNotIssued},
		},
	})
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
