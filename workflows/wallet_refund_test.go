package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

func walletRefundEnv(t *testing.T) testEnv {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.WalletRefunds{})
	env.RegisterWorkflowWithOptions(WalletRefund, workflow.RegisterOptions{Name: WalletRefundName})
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

var wrRef = activities.WalletRefundRef{RefundID: "wr_1"}

func runWalletRefund(t *testing.T, env testEnv) WalletRefundResult {
	env.ExecuteWorkflow(WalletRefund, WalletRefundInput{RefundID: "wr_1", CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW",
		Rules: activities.WalletRefundRules{MinAmount: 1000, Fee: 500, RequireVerified: true}, FindInterval: time.Minute, FindRetries: 3})
	require.True(t, env.IsWorkflowCompleted())
	var res WalletRefundResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestWalletRefundTransfersAndBooksOnce(t *testing.T) {
	env := walletRefundEnv(t)
	env.OnActivity(walletRefunds.ReserveWalletRefund, mock.Anything, mock.Anything).Return(activities.ReserveWalletRefundResult{Amount: 30_000, Fee: 500}, nil).Once()
	env.OnActivity(walletRefunds.TransferWalletRefund, mock.Anything, wrRef).Return(activities.WalletRefundTransfer{Found: true, TransactionID: "btx_1"}, nil).Once()
	env.OnActivity(walletRefunds.CompleteWalletRefund, mock.Anything, activities.CompleteWalletRefundInput{RefundID: "wr_1", TransactionID: "btx_1"}).Return(nil).Once()

	res := runWalletRefund(t, env)

	require.Equal(t, WalletRefundResult{RefundID: "wr_1", Status: WalletRefundSucceeded, Amount: 30_000, Fee: 500}, res)
	env.AssertNotCalled(t, "ReleaseWalletRefund", mock.Anything, mock.Anything)
}

func TestWalletRefundConditionsMoveNothing(t *testing.T) {
	env := walletRefundEnv(t)
	env.OnActivity(walletRefunds.ReserveWalletRefund, mock.Anything, mock.Anything).Return(activities.ReserveWalletRefundResult{},
		declined("insufficient_wallet_balance")).Once()

	res := runWalletRefund(t, env)

	require.Equal(t, WalletRefundFailed, res.Status)
	require.Equal(t, "insufficient_wallet_balance", res.FailureCode)
	env.AssertNotCalled(t, "TransferWalletRefund", mock.Anything, mock.Anything)
}

// A transfer the bank refused, and holds no record of, gives the amount back.
func TestWalletRefundBankFailureGivesTheBalanceBack(t *testing.T) {
	env := walletRefundEnv(t)
	env.OnActivity(walletRefunds.ReserveWalletRefund, mock.Anything, mock.Anything).Return(activities.ReserveWalletRefundResult{Amount: 30_000, Fee: 500}, nil).Once()
	env.OnActivity(walletRefunds.TransferWalletRefund, mock.Anything, wrRef).Return(activities.WalletRefundTransfer{}, declined("account_closed")).Once()
	env.OnActivity(walletRefunds.FindWalletRefundTransfer, mock.Anything, wrRef).Return(activities.WalletRefundTransfer{}, nil).Once()
	env.OnActivity(walletRefunds.ReleaseWalletRefund, mock.Anything, mock.MatchedBy(func(in activities.ReleaseWalletRefundInput) bool {
		return in.RefundID == "wr_1" && in.Code == "account_closed"
	})).Return(nil).Once()

	res := runWalletRefund(t, env)

	require.Equal(t, WalletRefundFailed, res.Status)
	require.Equal(t, "account_closed", res.FailureCode)
	env.AssertNotCalled(t, "CompleteWalletRefund", mock.Anything, mock.Anything)
}

// Retries ran out with the outcome unknown; the bank did transfer: book it, never give it back.
func TestWalletRefundLostAnswerIsBookedNotReleased(t *testing.T) {
	env := walletRefundEnv(t)
	env.OnActivity(walletRefunds.ReserveWalletRefund, mock.Anything, mock.Anything).Return(activities.ReserveWalletRefundResult{Amount: 30_000, Fee: 500}, nil).Once()
	env.OnActivity(walletRefunds.TransferWalletRefund, mock.Anything, wrRef).Return(activities.WalletRefundTransfer{}, unavailable())
	env.OnActivity(walletRefunds.FindWalletRefundTransfer, mock.Anything, wrRef).Return(activities.WalletRefundTransfer{}, errors.New("bank down")).Times(6)
	env.OnActivity(walletRefunds.FindWalletRefundTransfer, mock.Anything, wrRef).Return(activities.WalletRefundTransfer{Found: true, TransactionID: "btx_9"}, nil).Once()
	env.OnActivity(walletRefunds.CompleteWalletRefund, mock.Anything, activities.CompleteWalletRefundInput{RefundID: "wr_1", TransactionID: "btx_9"}).Return(nil).Once()

	res := runWalletRefund(t, env)

	require.Equal(t, WalletRefundSucceeded, res.Status)
	env.AssertNotCalled(t, "ReleaseWalletRefund", mock.Anything, mock.Anything)
}
