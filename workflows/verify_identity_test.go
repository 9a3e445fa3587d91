package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/paysaga/paysaga/activities"
)

var ids *activities.Identity

func verifyInput() VerifyIdentityInput {
	return VerifyIdentityInput{VerificationID: "idv-cus_1-1", CustomerID: "cus_1", Seq: 1, Name: "김고객",
		Phone: "01012345678", BirthDate: "19900101", CodeTTL: 3 * time.Minute, MaxAttempts: 5}
}

func identityEnv(t *testing.T) testEnv {
	env := newEnv(t)
	env.OnActivity(ids.CreateVerification, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(ids.RequestCode, mock.Anything, mock.Anything).Return(activities.RequestCodeResult{RequestID: "req_1"}, nil).Once()
	return env
}

func onConfirm(env testEnv, code string) *testsuite.MockCallWrapper {
	return env.OnActivity(ids.ConfirmCode, mock.Anything, mock.MatchedBy(func(in activities.ConfirmCodeInput) bool { return in.Code == code }))
}

func onFinish(env testEnv, status, code string) *testsuite.MockCallWrapper {
	return env.OnActivity(ids.FinishVerification, mock.Anything, mock.MatchedBy(func(in activities.FinishVerificationInput) bool {
		return in.Status == status && in.FailureCode == code
	}))
}

// sendCode sends a confirm_code update after delay and collects its answer or rejection.
func sendCode(env testEnv, delay time.Duration, code string, got *[]string) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(ConfirmCodeUpdate, "u-"+code+delay.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { *got = append(*got, "rejected") },
			OnComplete: func(res any, err error) {
				if err != nil {
					*got = append(*got, "error")
					return
				}
				r := res.(ConfirmCodeResponse)
				*got = append(*got, fmt.Sprintf("%s/%s/%d", r.Status, r.FailureCode, r.AttemptsLeft))
			},
		}, ConfirmCodeRequest{Code: code})
	}, delay)
}

func runVerify(t *testing.T, env testEnv) VerifyIdentityResult {
	env.ExecuteWorkflow(VerifyIdentity, verifyInput())
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res VerifyIdentityResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestVerifyIdentityWrongThenRightCode(t *testing.T) {
	env := identityEnv(t)
	onConfirm(env, "111111").Return(activities.ConfirmCodeResult{}, declined("wrong_code")).Once()
	onConfirm(env, "123456").Return(activities.ConfirmCodeResult{CIHash: "h-ci", DIHash: "h-di"}, nil).Once()
	env.OnActivity(ids.FinishVerification, mock.Anything, activities.FinishVerificationInput{
		VerificationID: "idv-cus_1-1", CustomerID: "cus_1", Status: IdentityVerified, CIHash: "h-ci", DIHash: "h-di",
	}).Return(nil).Once()
	var got []string
	sendCode(env, time.Second, "12ab", &got) // malformed: rejected before the history
	sendCode(env, 2*time.Second, "111111", &got)
	sendCode(env, 3*time.Second, "123456", &got)

	res := runVerify(t, env)

	require.Equal(t, VerifyIdentityResult{VerificationID: "idv-cus_1-1", Status: IdentityVerified, Attempts: 2}, res)
	require.Equal(t, []string{"rejected", "pending/wrong_code/4", "verified//3"}, got)
}

func TestVerifyIdentityAttemptsExhausted(t *testing.T) {
	env := identityEnv(t)
	onConfirm(env, "000000").Return(activities.ConfirmCodeResult{}, declined("wrong_code")).Times(5)
	onFinish(env, IdentityFailed, "too_many_attempts").Return(nil).Once()
	var got []string
	for i := 1; i <= 6; i++ {
		sendCode(env, time.Duration(i)*time.Second, "000000", &got)
	}

	res := runVerify(t, env)

	require.Equal(t, IdentityFailed, res.Status)
	require.Equal(t, "too_many_attempts", res.FailureCode)
	require.Equal(t, int64(5), res.Attempts)
	require.Len(t, got, 5, "the sixth code arrives after the workflow closed: %v", got)
	require.Equal(t, "failed/too_many_attempts/0", got[4])
}

func TestVerifyIdentityExpires(t *testing.T) {
	env := identityEnv(t)
	onFinish(env, IdentityExpired, "code_expired").Return(nil).Once()
	start := env.Now()

	res := runVerify(t, env)

	require.Equal(t, IdentityExpired, res.Status)
	require.GreaterOrEqual(t, env.Now().Sub(start), 3*time.Minute, "the timer ran (skipped) its 3 minutes")
	env.AssertNotCalled(t, "ConfirmCode", mock.Anything, mock.Anything)
}

func TestVerifyIdentityCodeRequestDeclined(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(ids.CreateVerification, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(ids.RequestCode, mock.Anything, mock.Anything).Return(activities.RequestCodeResult{}, declined("invalid_phone")).Once()
	onFinish(env, IdentityFailed, "invalid_phone").Return(nil).Once()

	res := runVerify(t, env)

	require.Equal(t, IdentityFailed, res.Status)
	require.Equal(t, "invalid_phone", res.FailureCode)
}
