package replay_test

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

var recordReceipts = flag.Bool("record-receipts", false, "record the cash-receipt histories (testdata/*-receipt_*.json), leaving the others")

// TestRecordReceipts records the cash-receipt shapes (issue 14) into
// testdata/<Type>-receipt_<scenario>.json, leaving the other recordings as they
// are (go test ./replay -run TestRecordReceipts -record-receipts, under
// `paysaga services`): a top-up receipted at top-up and its CashReceipt; a
// bank-account checkout that owes a receipt (PG alpha on the sandbox's own
// protocol bills the account, beta's Toss protocol issues the receipt), its
// receipt issued after a round of retries and then registered, a partial refund
// that cancels part of it, and that cancel; a card refund that owes none.
func TestRecordReceipts(t *testing.T) {
	if !*recordReceipts {
		t.Skip("pass -record-receipts to record the cash-receipt histories")
	}
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop(),
		ReceiptRegistrationDelay: time.Second}).Handler())
	defer simSrv.Close()
	cfg := recordingConfig(t, simSrv.URL)
	cfg.PGConnectors = map[string]string{"alpha": config.ConnectorPaysaga, "beta": config.ConnectorToss}
	cfg.CashReceiptRetryEvery, cfg.CashReceiptPollEvery = 2*time.Second, 500*time.Millisecond
	a, err := app.Start(ctx, cfg, zerolog.Nop(), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	defer a.Close()
	srv := httptest.NewServer(a.HTTP)
	defer srv.Close()
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "replay", appKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, sim: providersim.NewAdminClient(simSrv.URL, nil), names: map[string]string{}}
	keep := map[string]string{} // workflow id -> file name

	c, card := r.customer(providersim.CardApprove)
	account := "110555000222"
	require.NoError(t, r.sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 10_000_000}))
	bank := r.call("POST", "/v1/customers/"+c+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}})["id"].(string)
	v := r.call("POST", "/v1/identity-verifications", appKey, map[string]any{"customer_id": c, "name": "홍길동", "phone": "01012345678", "birth_date": "19900101"})
	code, err := r.sim.IdentityCode(ctx, v["provider_request_id"].(string))
	require.NoError(t, err)
	require.Equal(t, "verified", r.call("POST", "/v1/identity-verifications/"+v["id"].(string)+"/confirm", appKey, map[string]any{"code": code})["status"])
	top := r.call("POST", "/v1/wallets/"+c+"/topups", appKey, map[string]any{"method_id": bank, "amount": 50_000, "currency": "KRW"})
	require.Equal(t, "succeeded", top["status"])
	keep[workflows.TopUpID(top["id"].(string))] = "TopUp-receipt_topup"
	keep[workflows.CashReceiptID(top["id"].(string))] = "CashReceipt-receipt_topup"

	registered := func(id string) {
		require.Eventually(t, func() bool {
			row, err := db.New(a.Pool).GetCashReceipt(ctx, id)
			return err == nil && row.Status == "registered"
		}, 60*time.Second, 200*time.Millisecond)
	}
	registered(top["id"].(string))

	// The receipt service fails one round of retries (5 attempts), then issues.
	require.NoError(t, r.sim.SetFault(ctx, providersim.Fault{Provider: "receipts:beta", Op: providersim.OpCashReceipt, Mode: providersim.ModeOutage, Count: 5}))
	pay := r.checkout("receipt_bank", c, bank, 0)
	keep["checkout-"+orderOf(t, r, pay)] = "Checkout-receipt_bank"
	keep[workflows.CashReceiptID(pay)] = "CashReceipt-receipt_retried"
	registered(pay)
	rf := r.call("POST", "/v1/payments/"+pay+"/refunds", appKey, map[string]any{"amount": 4000, "reason": "replay"})["refund"].(map[string]any)["id"].(string)
	keep[workflows.RefundID(pay, rf)] = "Refund-receipt_partial"
	keep[workflows.CashReceiptCancelID(rf)] = "CashReceiptCancel-receipt_partial"

	paid := r.checkout("receipt_card", c, card, 0)
	rf2 := r.call("POST", "/v1/payments/"+paid+"/refunds", appKey, map[string]any{"amount": 4000, "reason": "replay"})["refund"].(map[string]any)["id"].(string)
	keep[workflows.RefundID(paid, rf2)] = "Refund-receipt_card"

	for id, name := range keep {
		var hist *historypb.History
		require.Eventually(t, func() bool {
			d, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
			if err != nil || d.WorkflowExecutionInfo.CloseTime == nil {
				return false
			}
			hist = &historypb.History{}
			iter := a.Temporal.GetWorkflowHistory(ctx, id, "", false, 0)
			for iter.HasNext() {
				ev, err := iter.Next()
				require.NoError(t, err)
				hist.Events = append(hist.Events, ev)
			}
			return true
		}, 60*time.Second, 200*time.Millisecond, "%s closes", id)
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", name+".json"), b, 0o644))
		t.Logf("recorded %s (%d events)", name, len(hist.Events))
	}
}

func orderOf(t *testing.T, r *recorder, paymentID string) string {
	p, err := db.New(r.app.Pool).GetPayment(r.ctx, paymentID)
	require.NoError(t, err, fmt.Sprint("payment ", paymentID))
	return p.OrderID
}
