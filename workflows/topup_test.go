package workflows

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
)

func topUpInput() TopUpInput {
	return TopUpInput{TopUpID: "top_1", CustomerID: "cus_1", MethodID: "pm_1", Currency: "KRW",
		Amount: 50_000, Cap: 2_000_000, DailyLimit: 1_000_000}
}

var topRef = activities.TopUpRef{TopUpID: "top_1"}

func runTopUp(t *testing.T, env testEnv) TopUpResult {
	env.ExecuteWorkflow(TopUp, topUpInput())
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res TopUpResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func onFailTopUp(env testEnv, status, code string) {
	env.OnActivity(wallet.FailTopUp, mock.Anything, mock.MatchedBy(func(in activities.FailTopUpInput) bool {
		return in.Status == status && in.Code == code
	})).Return(nil).Once()
}

func TestTopUpDebitsAndCreditsOnce(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(wallet.ReserveTopUp, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.DebitBank, mock.Anything, topRef).Return(nil).Once()
	env.OnActivity(wallet.CreditWallet, mock.Anything, topRef).Return(nil).Once()

	res := runTopUp(t, env)

	require.Equal(t, TopUpResult{TopUpID: "top_1", Status: TopUpSucceeded}, res)
}

func TestTopUpLimitExceededNeverDebits(t *testing.T) {
	for _, code := range []string{"wallet_cap_exceeded", "daily_topup_limit_exceeded", "identity_verification_required"} {
		t.Run(code, func(t *testing.T) {
			env := newEnv(t)
			env.OnActivity(wallet.ReserveTopUp, mock.Anything, mock.Anything).Return(
				temporal.NewNonRetryableApplicationError(code, activities.ErrLimitExceeded, nil, activities.Failure{Code: code, Message: code})).Once()
			onFailTopUp(env, TopUpFailed, code)

			res := runTopUp(t, env)

			require.Equal(t, TopUpFailed, res.Status)
			require.Equal(t, code, res.FailureCode)
			env.AssertNotCalled(t, "DebitBank", mock.Anything, mock.Anything)
			env.AssertNotCalled(t, "CreditWallet", mock.Anything, mock.Anything)
		})
	}
}

func TestTopUpBankDeclineCreditsNothing(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(wallet.ReserveTopUp, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.DebitBank, mock.Anything, topRef).Return(declined("insufficient_funds")).Once()
	onFailTopUp(env, TopUpFailed, "insufficient_funds")

	res := runTopUp(t, env)

	require.Equal(t, TopUpFailed, res.Status)
	require.Equal(t, "insufficient_funds", res.FailureCode)
	env.AssertNotCalled(t, "CreditWallet", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "ReverseDebit", mock.Anything, mock.Anything)
}

// A crash between the debit and the credit looks, to the workflow, like a credit
// that failed and is retried: the debit is not repeated and the credit lands once.
func TestTopUpCreditRetriedAfterFailureDebitsOnce(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(wallet.ReserveTopUp, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.DebitBank, mock.Anything, topRef).Return(nil).Once()
	env.OnActivity(wallet.CreditWallet, mock.Anything, topRef).Return(errors.New("connection reset")).Twice()
	env.OnActivity(wallet.CreditWallet, mock.Anything, topRef).Return(nil).Once()

	res := runTopUp(t, env)

	require.Equal(t, TopUpSucceeded, res.Status)
	env.AssertNotCalled(t, "ReverseDebit", mock.Anything, mock.Anything)
}

func TestTopUpCreditImpossibleReversesDebit(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(wallet.ReserveTopUp, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.DebitBank, mock.Anything, topRef).Return(nil).Once()
	env.OnActivity(wallet.CreditWallet, mock.Anything, topRef).Return(
		temporal.NewNonRetryableApplicationError("bad journal", activities.ErrInvalidRequest, nil)).Once()
	env.OnActivity(wallet.ReverseDebit, mock.Anything, topRef).Return(activities.ReverseDebitResult{Reversed: true}, nil).Once()
	onFailTopUp(env, TopUpReversed, "wallet_credit_failed")

	res := runTopUp(t, env)

	require.Equal(t, TopUpReversed, res.Status)
}

func TestTopUpUnknownDebitOutcomeIsCleanedUp(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(wallet.ReserveTopUp, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.DebitBank, mock.Anything, topRef).Return(
		temporal.NewNonRetryableApplicationError("bank down", activities.ErrProviderUnavailable, nil)).Once()
	env.OnActivity(wallet.ReverseDebit, mock.Anything, topRef).Return(activities.ReverseDebitResult{Reversed: false}, nil).Once()
	onFailTopUp(env, TopUpFailed, "bank_debit_failed")

	res := runTopUp(t, env)

	require.Equal(t, TopUpFailed, res.Status)
	env.AssertNotCalled(t, "CreditWallet", mock.Anything, mock.Anything)
}

// A re-run (after a lost workflow task) whose debit step fails while an earlier
// run already credited the wallet: the reversal finds the top-up credited and
// gives nothing back, and the top-up ends succeeded, not reversed.
func TestTopUpAlreadyCreditedEndsSucceededNotReversed(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(wallet.ReserveTopUp, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(wallet.DebitBank, mock.Anything, topRef).Return(
		temporal.NewNonRetryableApplicationError("bank down", activities.ErrProviderUnavailable, nil)).Once()
	env.OnActivity(wallet.ReverseDebit, mock.Anything, topRef).Return(activities.ReverseDebitResult{Credited: true}, nil).Once()

	res := runTopUp(t, env)

	require.Equal(t, TopUpSucceeded, res.Status)
	require.Empty(t, res.FailureCode)
	env.AssertNotCalled(t, "FailTopUp", mock.Anything, mock.Anything)
}
