package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
)

func runRegister(t *testing.T, in RegisterMethodInput, setup func(env testEnv)) RegisterMethodResult {
	env := newEnv(t)
	setup(env)
	env.ExecuteWorkflow(RegisterMethod, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res RegisterMethodResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestRegisterCardIssuesKeysAtEveryPG(t *testing.T) {
	var methods *activities.Methods
	in := RegisterMethodInput{MethodID: "pm_1", CustomerID: "cus_1", Kind: "card", AuthKey: "ak", PGs: []string{"alpha", "beta"}}
	res := runRegister(t, in, func(env testEnv) {
		for _, pg := range in.PGs {
			env.OnActivity(methods.IssueBillingKey, mock.Anything, activities.IssueBillingKeyInput{MethodID: "pm_1", CustomerID: "cus_1", PG: pg, AuthKey: "ak"}).
				Return(activities.BillingKeyResult{PG: pg, BillingKey: "bk_" + pg, CardLast4: "1111"}, nil).Once()
		}
		env.OnActivity(methods.SaveMethod, mock.Anything, mock.MatchedBy(func(in activities.SaveMethodInput) bool {
			return len(in.BillingKeys) == 2 && in.BillingKeys[0].PG == "alpha" && in.BillingKeys[1].PG == "beta"
		})).Return(nil).Once()
	})
	require.Equal(t, "active", res.Status)
}

func TestRegisterCardWithoutSecondaryKeyStillWorks(t *testing.T) {
	var methods *activities.Methods
	in := RegisterMethodInput{MethodID: "pm_1", CustomerID: "cus_1", Kind: "card", AuthKey: "ak", PGs: []string{"alpha", "beta"}}
	res := runRegister(t, in, func(env testEnv) {
		env.OnActivity(methods.IssueBillingKey, mock.Anything, mock.MatchedBy(func(in activities.IssueBillingKeyInput) bool { return in.PG == "alpha" })).
			Return(activities.BillingKeyResult{PG: "alpha", BillingKey: "bk"}, nil)
		env.OnActivity(methods.IssueBillingKey, mock.Anything, mock.MatchedBy(func(in activities.IssueBillingKeyInput) bool { return in.PG == "beta" })).
			Return(activities.BillingKeyResult{}, unavailable())
		env.OnActivity(methods.SaveMethod, mock.Anything, mock.MatchedBy(func(in activities.SaveMethodInput) bool { return len(in.BillingKeys) == 1 })).Return(nil).Once()
	})
	require.Equal(t, "active", res.Status)
}

func TestRegisterBankAccountWithWrongHolderStoresNothing(t *testing.T) {
	var methods *activities.Methods
	in := RegisterMethodInput{MethodID: "pm_1", CustomerID: "cus_1", Kind: "bank_account", PGs: []string{"alpha"},
		BankAccount: &BankAccount{BankCode: "088", AccountNumber: "110123456789", HolderName: "김철수"}}
	res := runRegister(t, in, func(env testEnv) {
		env.OnActivity(methods.CheckAccountHolder, mock.Anything, mock.Anything).Return(
			temporal.NewNonRetryableApplicationError("mismatch", activities.ErrHolderMismatch, nil,
				activities.Failure{Code: "holder_mismatch", Message: "mismatch"})).Once()
	})
	require.Equal(t, RegisterMethodResult{MethodID: "pm_1", Status: "failed", FailureCode: "holder_mismatch", FailureMessage: "mismatch"}, res)
}
