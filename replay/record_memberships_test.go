package replay_test

import (
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

var recordMemberships = flag.Bool("record-memberships", false, "record the membership and wallet-refund histories (issue 15B), leaving the others")

// TestRecordMemberships records testdata/{MembershipTick,MembershipCharge,
// WalletRefund}-<scenario>.json beside the other recordings (go test ./replay
// -run TestRecordMemberships -record-memberships, under `paysaga services`):
// a period charged, a second firing in the period, a declined card dunned
// until suspended (dunning shortened to seconds), a wallet refund transferred,
// one the bank refused (given back) and one over the balance.
func TestRecordMemberships(t *testing.T) {
	if !*recordMemberships {
		t.Skip("pass -record-memberships to record the membership histories")
	}
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	defer simSrv.Close()
	cfg := recordingConfig(t, simSrv.URL)
	cfg.MembershipDunning = []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	a, err := app.Start(ctx, cfg, zerolog.Nop(), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	defer a.Close()
	srv := httptest.NewServer(a.HTTP)
	defer srv.Close()
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "replay", appKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, sim: providersim.NewAdminClient(simSrv.URL, nil), names: map[string]string{}}

	subscribe := func(card string) (string, client.ScheduleHandle) {
		c, m := r.customer(card)
		mem := r.call("POST", "/v1/memberships", appKey, map[string]any{"customer_id": c, "plan_id": "plus", "method_id": m})
		return mem["id"].(string), a.Temporal.ScheduleClient().GetHandle(ctx, mem["temporal_schedule_id"].(string))
	}
	ticks := func(h client.ScheduleHandle, n int) []string {
		var ids []string
		require.Eventually(t, func() bool {
			d, err := h.Describe(ctx)
			require.NoError(t, err)
			ids = ids[:0]
			for _, act := range d.Info.RecentActions {
				ids = append(ids, act.StartWorkflowResult.WorkflowID)
			}
			return len(ids) >= n
		}, 20*time.Second, 100*time.Millisecond)
		for _, id := range ids {
			require.NoError(t, a.Temporal.GetWorkflow(ctx, id, "").Get(ctx, nil))
		}
		return ids
	}
	period := func(id string) string {
		var p string
		require.NoError(t, a.Pool.QueryRow(ctx, `SELECT period FROM membership_charges WHERE membership_id = $1`, id).Scan(&p))
		return p
	}

	paid, h := subscribe(providersim.CardApprove)
	first := ticks(h, 1)
	time.Sleep(1100 * time.Millisecond)
	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	r.names[first[0]] = "charged"
	for _, id := range ticks(h, 2) {
		if id != first[0] {
			r.names[id] = "already_started"
		}
	}
	r.names[workflows.MembershipChargeID(paid, period(paid))] = "charged"

	declined, h2 := subscribe(providersim.CardDecline)
	r.names[ticks(h2, 1)[0]] = "suspended"
	r.names[workflows.MembershipChargeID(declined, period(declined))] = "suspended"

	// Wallet refunds: a verified customer with 50,000 in the wallet.
	c, _ := r.customer(providersim.CardApprove)
	account := "110555000222"
	require.NoError(t, r.sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 10_000_000}))
	bank := r.call("POST", "/v1/customers/"+c+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}})["id"].(string)
	v := r.call("POST", "/v1/identity-verifications", appKey, map[string]any{"customer_id": c, "name": "홍길동", "phone": "01012345678", "birth_date": "19900101"})
	code, err := r.sim.IdentityCode(ctx, v["provider_request_id"].(string))
	require.NoError(t, err)
	r.call("POST", "/v1/identity-verifications/"+v["id"].(string)+"/confirm", appKey, map[string]any{"code": code})
	require.Equal(t, "succeeded", r.call("POST", "/v1/wallets/"+c+"/topups", appKey, map[string]any{"method_id": bank, "amount": 50_000, "currency": "KRW"})["status"])
	refund := func(label string, amount int64) {
		res := r.call("POST", "/v1/wallets/"+c+"/refunds", appKey, map[string]any{"method_id": bank, "amount": amount, "currency": "KRW"})
		r.names[workflows.WalletRefundID(res["id"].(string))] = label
	}
	refund("succeeded", 30_000)
	require.NoError(t, r.sim.SetFault(ctx, providersim.Fault{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeOutage}))
	refund("bank_failed", 10_000)
	require.NoError(t, r.sim.ClearFaults(ctx))

	for id, label := range r.names {
		d, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
		require.NoError(t, err, id)
		e := d.WorkflowExecutionInfo
		require.NotNil(t, e.CloseTime, "%s still running", id)
		name := e.Type.Name + "-" + label
		hist := &historypb.History{}
		iter := a.Temporal.GetWorkflowHistory(ctx, id, e.Execution.RunId, false, 0)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			hist.Events = append(hist.Events, ev)
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", name+".json"), b, 0o644))
		t.Logf("recorded %s (%d events)", name, len(hist.Events))
	}
}
