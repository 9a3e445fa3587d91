package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/pg"
)

// RegisterMethod registers a card or bank account once, for one-tap payments:
// (bank account: check the holder at the bank) -> issue a billing key at each PG
// (the primary's is required; the others make failover possible) -> store it.
// A PG that bills no bank accounts is skipped for one; the account is then
// charged at the PGs that do (checkout routes past a PG without a billing key),
// and with none it is still saved for wallet top-ups (debited at the bank).
func RegisterMethod(ctx workflow.Context, in RegisterMethodInput) (RegisterMethodResult, error) {
	var methods *activities.Methods
	result := RegisterMethodResult{MethodID: in.MethodID}
	failed := func(err error, fallback string) (RegisterMethodResult, error) {
		f := activities.FailureOf(err, fallback)
		result.Status, result.FailureCode, result.FailureMessage = "failed", f.Code, f.Message
		return result, nil
	}

	var account *pg.BankAccount
	holder, bankCode, accountNumber := "", "", ""
	if in.Kind == "bank_account" {
		if in.BankAccount == nil {
			return failed(nil, "invalid_request")
		}
		account = &pg.BankAccount{BankCode: in.BankAccount.BankCode, AccountNumber: in.BankAccount.AccountNumber, HolderName: in.BankAccount.HolderName}
		holder, bankCode, accountNumber = in.BankAccount.HolderName, in.BankAccount.BankCode, in.BankAccount.AccountNumber
		err := workflow.ExecuteLocalActivity(providerCtx(ctx), methods.CheckAccountHolder, activities.CheckHolderInput{
			BankCode: account.BankCode, AccountNumber: account.AccountNumber, HolderName: account.HolderName,
		}).Get(ctx, nil)
		if err != nil {
			return failed(err, "holder_check_failed")
		}
	}

	var keys []activities.BillingKeyResult
	for i, name := range in.PGs {
		var bk activities.BillingKeyResult
		err := workflow.ExecuteLocalActivity(providerCtx(ctx), methods.IssueBillingKey, activities.IssueBillingKeyInput{
			MethodID: in.MethodID, CustomerID: in.CustomerID, PG: name, AuthKey: in.AuthKey, BankAccount: account,
		}).Get(ctx, &bk)
		if err == nil && bk.Unsupported {
			continue // no call was made; only histories with such a PG take this branch
		}
		if err != nil && i == 0 {
			return failed(err, "billing_key_failed")
		}
		if err != nil {
			workflow.GetLogger(ctx).Warn("no billing key at secondary PG; failover unavailable for this method", "pg", name, "error", err)
			continue
		}
		keys = append(keys, bk)
	}

	if len(keys) == 0 && in.Kind != "bank_account" {
		// A bank account without a PG billing key is still a method: wallet
		// top-ups debit it through the bank; only a card needs a PG.
		result.Status, result.FailureCode = "failed", "method_not_supported"
		result.FailureMessage = "no configured PG accepts this kind of payment method"
		return result, nil
	}
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), methods.SaveMethod, activities.SaveMethodInput{
		MethodID: in.MethodID, CustomerID: in.CustomerID, Kind: in.Kind, HolderName: holder, BillingKeys: keys,
		BankCode: bankCode, AccountNumber: accountNumber,
	}).Get(ctx, nil)
	if err != nil {
		return result, err
	}
	result.Status = "active"
	return result, nil
}
