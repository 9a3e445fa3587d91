package replay_test

import (
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

var recordPointsTender = flag.Bool("record-points-tender", false, "record the points-as-a-tender histories (issue 15, i15-points-tender / i15-points-refund), leaving the others")

// TestRecordPointsTender records testdata/{Checkout,Refund}-points_tender*.json
// beside the other recordings (go test ./replay -run TestRecordPointsTender
// -record-points-tender, under `paysaga services`): 50,000 paid 3,000 points +
// 10,000 wallet + 37,000 card, then 20,000 of it refunded; the same with the
// card declined (both holds released).
func TestRecordPointsTender(t *testing.T) {
	if !*recordPointsTender {
		t.Skip("pass -record-points-tender to record the points-tender histories")
	}
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	defer simSrv.Close()
	cfg := recordingConfig(t, simSrv.URL)
	a, err := app.Start(ctx, cfg, zerolog.Nop(), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	defer a.Close()
	srv := httptest.NewServer(a.HTTP)
	defer srv.Close()
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "replay", appKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, sim: providersim.NewAdminClient(simSrv.URL, nil), names: map[string]string{}}

	// Each customer: 50,000 in the wallet (verified, topped up from a bank
	// account) and 5,000 points (earned as the earning step books them).
	funded := func(card, account string) (string, string) {
		c, m := r.customer(card)
		require.NoError(t, r.sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 10_000_000}))
		bank := r.call("POST", "/v1/customers/"+c+"/payment-methods", appKey, map[string]any{"type": "bank_account",
			"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}})["id"].(string)
		v := r.call("POST", "/v1/identity-verifications", appKey, map[string]any{"customer_id": c, "name": "홍길동", "phone": "01012345678", "birth_date": "19900101"})
		code, err := r.sim.IdentityCode(ctx, v["provider_request_id"].(string))
		require.NoError(t, err)
		r.call("POST", "/v1/identity-verifications/"+v["id"].(string)+"/confirm", appKey, map[string]any{"code": code})
		require.Equal(t, "succeeded", r.call("POST", "/v1/wallets/"+c+"/topups", appKey, map[string]any{"method_id": bank, "amount": 50_000, "currency": "KRW"})["status"])
		_, err = (&activities.Points{Pool: a.Pool}).EarnPoints(ctx, activities.EarnPointsInput{CustomerID: c, Currency: "KRW", Base: 5_000, RateBPS: 10_000,
			At: time.Now(), Validity: 24 * time.Hour, Key: "replay:" + c + ":points"})
		require.NoError(t, err)
		return c, m
	}
	tender := func(name, customer, method string) map[string]any {
		order := "o-" + uuid.NewString()[:8]
		r.names["checkout-"+order] = name
		return r.call("POST", "/v1/checkouts", appKey, map[string]any{"order_id": order, "customer_id": customer, "currency": "KRW", "amount": 50_000,
			"items":   []map[string]any{{"producer_id": "rec-a", "amount": 30_000}, {"producer_id": "rec-b", "amount": 20_000}},
			"payment": map[string]any{"method_id": method, "wallet_amount": 10_000, "points_amount": 3_000}})
	}

	c, m := funded(providersim.CardApprove, "110555000333")
	paid := tender("points_tender", c, m)
	require.Equal(t, "succeeded", paid["status"])
	rf := r.call("POST", "/v1/payments/"+paid["id"].(string)+"/refunds", appKey, map[string]any{"amount": 20_000, "reason": "replay"})
	r.names[workflows.RefundID(paid["id"].(string), rf["refund"].(map[string]any)["id"].(string))] = "points_tender"
	c2, m2 := funded(providersim.CardDecline, "110555000444")
	require.Equal(t, "failed", tender("points_tender_declined", c2, m2)["status"])

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
