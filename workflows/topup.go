package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/risk"
)

// Top-up statuses, as stored and returned.
const (
	TopUpSucceeded = "succeeded"
	TopUpFailed    = "failed"   // nothing was taken from the bank account
	TopUpReversed  = "reversed" // taken, then given back because the credit failed for good
)

// TopUpInput is fixed when the top-up starts: the limits are copied from config.
type TopUpInput struct {
	TopUpID    string
	CustomerID string
	MethodID   string // a registered bank account
	Currency   string
	Amount     int64
	Cap        int64
	DailyLimit int64
	HourlyMax  int64 // top-ups started per hour; 0 (histories before it existed) = unlimited
	// CashReceipt: the top-up is receipted (PAYSAGA_CASH_RECEIPT_AT=topup, the
	// default); nil: its money is receipted when spent, or not at all.
	CashReceipt *CashReceiptPlan
}

type TopUpResult struct {
	TopUpID        string
	Status         string // succeeded | failed | reversed
	FailureCode    string // identity_verification_required, wallet_cap_exceeded, daily_topup_limit_exceeded, a bank decline, ...
	FailureMessage string
}

// TopUp (선불충전): reserve the top-up against the wallet's limits -> debit the
// bank account -> credit the wallet in the ledger. The debit and the credit are
// each keyed by the top-up id, so a worker dying between them re-runs them with
// the same keys: one debit, one credit. If the credit can never be booked, the
// debit is transferred back.
func TopUp(ctx workflow.Context, in TopUpInput) (TopUpResult, error) {
	var wallet *activities.Wallet
	ref := activities.TopUpRef{TopUpID: in.TopUpID}
	result := TopUpResult{TopUpID: in.TopUpID}
	end := func(status string, f activities.Failure) (TopUpResult, error) {
		if status != TopUpSucceeded {
			err := workflow.ExecuteLocalActivity(finalCtx(ctx), wallet.FailTopUp, activities.FailTopUpInput{
				TopUpID: in.TopUpID, Status: status, Code: f.Code, Message: f.Message,
			}).Get(ctx, nil)
			if err != nil {
				return result, err
			}
		}
		if err := workflow.UpsertTypedSearchAttributes(ctx, PaymentStatusKey.ValueSet(status)); err != nil {
			workflow.GetLogger(ctx).Warn("status search attribute not set", "status", status, "error", err)
		}
		result.Status, result.FailureCode, result.FailureMessage = status, f.Code, f.Message
		return result, nil
	}

	err := workflow.ExecuteLocalActivity(dbCtx(ctx), wallet.ReserveTopUp, activities.ReserveTopUpInput{
		TopUpID: in.TopUpID, CustomerID: in.CustomerID, MethodID: in.MethodID, Currency: in.Currency,
		Amount: in.Amount, Cap: in.Cap, DailyLimit: in.DailyLimit, HourlyMax: in.HourlyMax, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, nil)
	if err != nil {
		return end(TopUpFailed, activities.FailureOf(err, "internal_error"))
	}
	// Runs recorded before risk evaluation existed go on without it.
	if workflow.GetVersion(ctx, riskChangeID, workflow.DefaultVersion, 1) == 1 {
		var d activities.RiskDecision
		err := workflow.ExecuteLocalActivity(dbCtx(ctx), riskActs.EvaluateRisk, activities.EvaluateRiskInput{
			PaymentID: in.TopUpID, CustomerID: in.CustomerID, MethodID: in.MethodID, Currency: in.Currency,
			Amount: in.Amount, NoTimeline: true,
		}).Get(ctx, &d)
		if err != nil {
			return end(TopUpFailed, activities.FailureOf(err, "risk_unavailable"))
		}
		if d.Decision == risk.Block {
			return end(TopUpFailed, activities.FailureOf(activities.RiskBlockedError(d), "risk_blocked"))
		}
	}

	if err := workflow.ExecuteLocalActivity(providerCtx(ctx), wallet.DebitBank, ref).Get(ctx, nil); err != nil {
		f := activities.FailureOf(err, "bank_debit_failed")
		if activities.IsType(err, activities.ErrDeclined) || activities.IsType(err, activities.ErrInvalidRequest) {
			return end(TopUpFailed, f)
		}
		// The outcome is unknown: give back whatever the bank did take.
		return reverseTopUp(ctx, ref, f, end)
	}

	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), wallet.CreditWallet, ref).Get(ctx, nil); err != nil {
		return reverseTopUp(ctx, ref, activities.Failure{Code: "wallet_credit_failed",
			Message: "the wallet could not be credited; the debit was given back"}, end)
	}
	if in.CashReceipt != nil && workflow.GetVersion(ctx, cashReceiptChangeID, workflow.DefaultVersion, 1) == 1 {
		topUpCashReceipt(ctx, in)
	}
	return end(TopUpSucceeded, activities.Failure{})
}

// reverseTopUp transfers a debit back (when the bank holds one) and ends the top-up.
func reverseTopUp(ctx workflow.Context, ref activities.TopUpRef, f activities.Failure,
	end func(string, activities.Failure) (TopUpResult, error)) (TopUpResult, error) {
	var wallet *activities.Wallet
	var rev activities.ReverseDebitResult
	if err := workflow.ExecuteLocalActivity(compensationCtx(ctx), wallet.ReverseDebit, ref).Get(ctx, &rev); err != nil {
		// Money may be with us and not in the wallet: fail loudly for ops, top-up left processing.
		return TopUpResult{}, err
	}
	if rev.Credited { // an earlier run credited the wallet; its result was lost
		return end(TopUpSucceeded, activities.Failure{})
	}
	if !rev.Reversed {
		return end(TopUpFailed, f)
	}
	return end(TopUpReversed, f)
}
