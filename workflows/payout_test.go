package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

func payoutInput(needsApproval bool) PayoutInput {
	return PayoutInput{PayoutID: "payout-farm-a-20261125", ProducerID: "farm-a", Period: "20261125",
		Amount: 9_700, NeedsApproval: needsApproval, ApprovalTimeout: 24 * time.Hour}
}

func onPayoutStatus(env testEnv, status, reason string) *testsuite.MockCallWrapper {
	return env.OnActivity(payouts.SetPayoutStatus, mock.Anything, mock.MatchedBy(func(in activities.SetPayoutStatusInput) bool {
		return in.Status == status && in.Reason == reason
	}))
}

func runPayout(t *testing.T, env testEnv, in PayoutInput) PayoutResult {
	env.ExecuteWorkflow(Payout, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res PayoutResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestPayoutAboveThresholdWaitsForApprovalThenPays(t *testing.T) {
	env := newEnv(t)
	onPayoutStatus(env, activities.PayoutAwaitingApproval, "").Return(nil).Once()
	env.OnActivity(payouts.RecordApproval, mock.Anything, activities.ApprovePayoutInput{PayoutID: "payout-farm-a-20261125", ApprovedBy: "kim"}).Return(nil).Once()
	env.OnActivity(payouts.VerifyPayee, mock.Anything, mock.Anything).Return(nil).Once()
	transfers := 0
	env.OnActivity(payouts.Transfer, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.PayoutRef) (activities.TransferResult, error) {
		transfers++
		return activities.TransferResult{Found: true, TransactionID: "txn_1"}, nil
	}).Once()
	env.OnActivity(payouts.PostPayout, mock.Anything, activities.PostPayoutInput{PayoutID: "payout-farm-a-20261125", TransactionID: "txn_1"}).Return(nil).Once()

	// Six hours in, nothing has been sent; an approval from finance releases it.
	env.RegisterDelayedCallback(func() {
		require.Zero(t, transfers, "no transfer before approval")
		env.UpdateWorkflow(ApproveUpdate, "u1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("approve rejected: %v", err) },
			OnAccept: func() {}, OnComplete: func(any, error) {},
		}, ApproveInput{ApprovedBy: "kim"})
	}, 6*time.Hour)

	res := runPayout(t, env, payoutInput(true))
	require.Equal(t, activities.PayoutPaid, res.Status)
	require.Equal(t, 1, transfers)
}

func TestPayoutNotApprovedInTimeIsHeld(t *testing.T) {
	env := newEnv(t)
	onPayoutStatus(env, activities.PayoutAwaitingApproval, "").Return(nil).Once()
	onPayoutStatus(env, activities.PayoutHeld, "approval_timeout").Return(nil).Once()
	res := runPayout(t, env, payoutInput(true))
	require.Equal(t, PayoutResult{PayoutID: "payout-farm-a-20261125", Amount: 9_700, Status: activities.PayoutHeld, Reason: "approval_timeout"}, res)
}

func TestPayoutApproveIsRejectedWhenNotAwaiting(t *testing.T) {
	env := newEnv(t)
	onPayoutStatus(env, activities.PayoutAwaitingApproval, "").Return(nil).Once()
	env.OnActivity(payouts.RecordApproval, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payouts.VerifyPayee, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payouts.Transfer, mock.Anything, mock.Anything).Return(activities.TransferResult{Found: true, TransactionID: "t"}, nil).Once()
	env.OnActivity(payouts.PostPayout, mock.Anything, mock.Anything).Return(nil).Once()
	var rejected error
	approve := func(id string, onReject func(error)) {
		env.UpdateWorkflow(ApproveUpdate, id, &testsuite.TestUpdateCallback{
			OnReject: onReject, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, ApproveInput{ApprovedBy: "kim"})
	}
	env.RegisterDelayedCallback(func() {
		approve("u1", func(err error) { t.Errorf("first approve rejected: %v", err) })
		approve("u2", func(err error) { rejected = err })
	}, time.Hour)
	res := runPayout(t, env, payoutInput(true))
	require.Equal(t, activities.PayoutPaid, res.Status)
	require.ErrorIs(t, rejected, errNotAwaiting, "a second approval is refused")
}

func TestPayoutHolderMismatchIsHeldWithoutTransfer(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(payouts.VerifyPayee, mock.Anything, mock.Anything).Return(
		nonRetryableTest(activities.ErrHolderMismatch, "holder_mismatch")).Once()
	onPayoutStatus(env, activities.PayoutHeld, "holder_mismatch").Return(nil).Once()
	transfers := 0
	env.OnActivity(payouts.Transfer, mock.Anything, mock.Anything).Return(func(context.Context, activities.PayoutRef) (activities.TransferResult, error) {
		transfers++
		return activities.TransferResult{}, nil
	}).Maybe()
	res := runPayout(t, env, payoutInput(false))
	require.Equal(t, activities.PayoutHeld, res.Status)
	require.Equal(t, "holder_mismatch", res.Reason)
	require.Zero(t, transfers, "no money is sent to an account that is not the producer's")
}

func TestPayoutBankDownIsRetriedThenHeld(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(payouts.VerifyPayee, mock.Anything, mock.Anything).Return(nil).Once()
	attempts := 0
	env.OnActivity(payouts.Transfer, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.PayoutRef) (activities.TransferResult, error) {
		attempts++
		return activities.TransferResult{}, errors.New("bank 503")
	})
	env.OnActivity(payouts.FindTransfer, mock.Anything, mock.Anything).Return(activities.TransferResult{}, nil).Once()
	onPayoutStatus(env, activities.PayoutHeld, "bank_unavailable").Return(nil).Once()
	res := runPayout(t, env, payoutInput(false))
	require.Equal(t, activities.PayoutHeld, res.Status)
	require.Equal(t, "bank_unavailable", res.Reason)
	require.Equal(t, 6, attempts, "bounded retries with the same key, then held")
}

func TestPayoutTransferFoundAfterAmbiguousFailureIsBooked(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(payouts.VerifyPayee, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(payouts.Transfer, mock.Anything, mock.Anything).Return(activities.TransferResult{}, errors.New("timeout"))
	env.OnActivity(payouts.FindTransfer, mock.Anything, mock.Anything).Return(activities.TransferResult{Found: true, TransactionID: "txn_9"}, nil).Once()
	env.OnActivity(payouts.PostPayout, mock.Anything, activities.PostPayoutInput{PayoutID: "payout-farm-a-20261125", TransactionID: "txn_9"}).Return(nil).Once()
	res := runPayout(t, env, payoutInput(false))
	require.Equal(t, activities.PayoutPaid, res.Status, "the bank has it under our key: book it, never hold it")
}

// runFixture mocks two pages of claims (a, b | c, d; b needs approval) and the
// payout workflow, which records the order payouts start in. It runs the shape
// before i19-payout-batches (one Payout workflow per claim), which recorded and
// running histories still take; payout_batch_test.go drives the batches.
func runFixture(t *testing.T, lastPage bool) (testEnv, *[]string) {
	env := newEnv(t)
	env.RegisterWorkflowWithOptions(Payout, workflow.RegisterOptions{Name: PayoutName})
	env.OnGetVersion(payoutBatchesChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	env.OnActivity(payouts.StartRun, mock.Anything, mock.MatchedBy(func(in activities.StartRunInput) bool {
		return in.Period == "20261125" && in.ScheduleID == "daily"
	})).Return(nil).Once()
	page := func(done bool, ids ...string) activities.ClaimPageResult {
		r := activities.ClaimPageResult{Producers: len(ids), Done: done}
		for _, id := range ids {
			r.LastID = id
			r.Payouts = append(r.Payouts, activities.ClaimedPayout{PayoutID: "payout-" + id + "-20261125", ProducerID: id, Amount: 100, NeedsApproval: id == "b"})
		}
		return r
	}
	after := func(id string) any {
		return mock.MatchedBy(func(in activities.ClaimPageInput) bool { return in.AfterID == id && in.Period == "20261125" })
	}
	env.OnActivity(payouts.ClaimPage, mock.Anything, after("")).Return(page(false, "a", "b"), nil).Once()
	env.OnActivity(payouts.ClaimPage, mock.Anything, after("b")).Return(page(lastPage, "c", "d"), nil).Once()
	started := &[]string{}
	env.OnWorkflow(PayoutName, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in PayoutInput) (PayoutResult, error) {
		*started = append(*started, in.ProducerID)
		if in.NeedsApproval {
			_ = workflow.Sleep(ctx, time.Hour) // left waiting; the run does not wait for it
		}
		return PayoutResult{PayoutID: in.PayoutID, Amount: in.Amount, Status: activities.PayoutPaid}, nil
	})
	// 01:00 UTC is 10:00 in Seoul: the period is that day there.
	env.SetStartTime(time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC))
	return env, started
}

func TestPayoutRunContinuesAsNewAfterAPage(t *testing.T) {
	env, started := runFixture(t, false)
	env.ExecuteWorkflow(PayoutRun, PayoutRunInput{ScheduleID: "daily", PageSize: 2, Concurrency: 1, PagesPerRun: 2})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can, "after two pages the run continues as new")
	require.Equal(t, []string{"a", "b", "c", "d"}, *started)
}

func TestPayoutRunSettlesEveryPageAndCompletes(t *testing.T) {
	env, started := runFixture(t, true)
	env.OnActivity(payouts.CompleteRun, mock.Anything, mock.Anything).Return(nil).Once()
	env.ExecuteWorkflow(PayoutRun, PayoutRunInput{ScheduleID: "daily", PageSize: 2, Concurrency: 1, PagesPerRun: 5})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var totals PayoutTotals
	require.NoError(t, env.GetWorkflowResult(&totals))
	require.Equal(t, PayoutTotals{Producers: 4, Started: 4, Paid: 3, AwaitingApproval: 1, PaidAmount: 300}, totals)
	require.ElementsMatch(t, []string{"a", "b", "c", "d"}, *started)
}

func nonRetryableTest(typ, code string) error {
	return temporal.NewNonRetryableApplicationError(code, typ, nil, activities.Failure{Code: code, Message: code})
}
