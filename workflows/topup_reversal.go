package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// RetryTopUpReversalName is the workflow ops start (POST
// /v1/wallets/{customer}/topups/{id}/retry-reversal) for a top-up whose TopUp
// workflow ended without giving a debit back: its reversal failed for good and
// the top-up was left processing, money with us and not in the wallet.
const RetryTopUpReversalName = "RetryTopUpReversal"

// RetryTopUpReversalID is one id per top-up: a repeated click while a retry
// runs joins it, and a retry that failed may be started again.
func RetryTopUpReversalID(topUpID string) string { return "topup-" + topUpID + "-reversal-retry" }

type RetryTopUpReversalInput struct {
	TopUpID string
}

// RetryTopUpReversal re-drives the reversal exactly as TopUp does it: the
// bank is asked for the debit by its key and the transfer back carries the key
// topup:{id}:reverse, so however often it runs the money goes back once. Then
// the top-up ends reversed (or failed when the bank holds no debit).
func RetryTopUpReversal(ctx workflow.Context, in RetryTopUpReversalInput) (TopUpResult, error) {
	var wallet *activities.Wallet
	result := TopUpResult{TopUpID: in.TopUpID}
	end := func(status string, f activities.Failure) (TopUpResult, error) {
		err := workflow.ExecuteLocalActivity(finalCtx(ctx), wallet.FailTopUp, activities.FailTopUpInput{
			TopUpID: in.TopUpID, Status: status, Code: f.Code, Message: f.Message,
		}).Get(ctx, nil)
		if err != nil {
			return result, err
		}
		result.Status, result.FailureCode, result.FailureMessage = status, f.Code, f.Message
		return result, nil
	}
	return reverseTopUp(ctx, activities.TopUpRef{TopUpID: in.TopUpID}, activities.Failure{
		Code: "topup_reversed_by_ops", Message: "the top-up could not complete; ops re-drove the reversal of its debit",
	}, end)
}
