package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// WalletRefundName is the wallet balance refund (잔액 환불, issue 15 part B).
const WalletRefundName = "WalletRefund"

// WalletRefundID is one workflow per refund id (derived from the request's
// Idempotency-Key): a repeated request joins it.
func WalletRefundID(refundID string) string { return "wallet-refund-" + refundID }

// Wallet refund statuses, as stored and answered.
const (
	WalletRefundProcessing = "processing"
	WalletRefundSucceeded  = "succeeded"
	WalletRefundFailed     = "failed"
)

type WalletRefundInput struct {
	RefundID   string
	CustomerID string
	MethodID   string // the customer's registered bank account
	Currency   string
	Amount     int64 // 0: the whole available balance
	Rules      activities.WalletRefundRules
	// FindRetries bounds how often an unreachable bank is asked for the
	// transfer (FindInterval apart) before the refund is left processing for ops.
	FindRetries  int
	FindInterval time.Duration
}

type WalletRefundResult struct {
	RefundID       string
	Status         string // succeeded | failed | processing
	Amount         int64
	Fee            int64
	FailureCode    string
	FailureMessage string
}

var walletRefunds *activities.WalletRefunds

// WalletRefund reserves the amount (conditions checked, the amount out of the
// wallet) -> transfers amount - fee to the customer's bank account under
// wallet-refund:{id}:transfer -> books it. When the transfer fails the bank's
// record under the key decides: a transfer found is booked; none gives the
// amount back to the wallet (the compensation) and the refund ends failed.
func WalletRefund(ctx workflow.Context, in WalletRefundInput) (WalletRefundResult, error) {
	out := WalletRefundResult{RefundID: in.RefundID, Status: WalletRefundProcessing}
	var res activities.ReserveWalletRefundResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), walletRefunds.ReserveWalletRefund, activities.ReserveWalletRefundInput{
		RefundID: in.RefundID, CustomerID: in.CustomerID, MethodID: in.MethodID, Currency: in.Currency,
		Amount: in.Amount, Rules: in.Rules, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, &res)
	if err != nil {
		f := activities.FailureOf(err, "wallet_refund_failed")
		out.Status, out.FailureCode, out.FailureMessage = WalletRefundFailed, f.Code, f.Message
		return out, nil // nothing moved
	}
	out.Amount, out.Fee = res.Amount, res.Fee
	ref := activities.WalletRefundRef{RefundID: in.RefundID}
	var txn activities.WalletRefundTransfer
	if terr := workflow.ExecuteLocalActivity(providerCtx(ctx), walletRefunds.TransferWalletRefund, ref).Get(ctx, &txn); terr != nil {
		found, err := findTransfer(ctx, in, ref)
		if err != nil {
			out.FailureCode = "bank_unavailable" // left processing: the bank may still have paid
			return out, err
		}
		if !found.Found {
			f := activities.FailureOf(terr, "bank_transfer_failed")
			err := workflow.ExecuteLocalActivity(finalCtx(ctx), walletRefunds.ReleaseWalletRefund, activities.ReleaseWalletRefundInput{
				RefundID: in.RefundID, Code: f.Code, Message: f.Message,
			}).Get(ctx, nil)
			if err != nil {
				return out, err
			}
			out.Status, out.FailureCode, out.FailureMessage = WalletRefundFailed, f.Code, f.Message
			return out, nil
		}
		txn = found
	}
	// The money has left: booking it must not be skipped, even on cancel.
	err = workflow.ExecuteLocalActivity(finalCtx(ctx), walletRefunds.CompleteWalletRefund, activities.CompleteWalletRefundInput{
		RefundID: in.RefundID, TransactionID: txn.TransactionID,
	}).Get(ctx, nil)
	if err != nil {
		return out, err
	}
	out.Status = WalletRefundSucceeded
	return out, nil
}

// findTransfer asks the bank for the transfer under the refund's key, waiting
// out a bank that does not answer a bounded number of times: without its
// answer the amount may neither be booked nor given back.
func findTransfer(ctx workflow.Context, in WalletRefundInput, ref activities.WalletRefundRef) (activities.WalletRefundTransfer, error) {
	tries, every := in.FindRetries, in.FindInterval
	if tries <= 0 {
		tries = 30
	}
	if every <= 0 {
		every = time.Minute
	}
	var found activities.WalletRefundTransfer
	var err error
	for i := 0; i < tries; i++ {
		if i > 0 {
			if serr := workflow.Sleep(ctx, every); serr != nil {
				return found, serr
			}
		}
		err = workflow.ExecuteLocalActivity(providerCtx(ctx), walletRefunds.FindWalletRefundTransfer, ref).Get(ctx, &found)
		if err == nil {
			return found, nil
		}
	}
	return found, err
}
