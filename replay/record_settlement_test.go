package replay_test

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

var recordSettlement = flag.Bool("record-settlement", false, "record the settlement histories (testdata/*-settlement_*.json), leaving the others")

// settlementTypes are the workflows whose histories TestRecordSettlement keeps.
var settlementTypes = map[string]bool{
	workflows.FulfilmentName: true, workflows.SettlementDeadlineCheckName: true,
	"Refund": true, "PayoutRun": true, "Payout": true, workflows.CheckoutName: true,
}

// TestRecordSettlement records the marketplace settlement workflows (issue
// 13) into testdata/<Type>-settlement_<scenario>.json, beside the other
// recordings, which it leaves as they are (go test ./replay -run
// TestRecordSettlement -record-settlement, under `paysaga services`):
// fulfilment confirmed by the buyer, auto-confirmed by its timer, confirmed
// without a delivery, ended by an item refund; the deadline check finding
// sales at risk; an item-targeted refund before and after settlement; two
// settlement runs, the second carrying a negative balance over.
func TestRecordSettlement(t *testing.T) {
	if !*recordSettlement {
		t.Skip("pass -record-settlement to record the settlement histories")
	}
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	defer simSrv.Close()
	cfg := recordingConfig(t, simSrv.URL)
	cfg.AutoConfirmAfter = 2 * time.Second
	cfg.SettlementDeadlineDays = 1 // every unpaid confirmed sale is at risk
	cfg.DeadlineCheckCron = ""     // started by hand below
	cfg.PointsEarnBPS = 100        // earned at each item's confirmation (issue 15, i15-points-at-confirmation)
	a, err := app.Start(ctx, cfg, zerolog.Nop(), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	defer a.Close()
	srv := httptest.NewServer(a.HTTP)
	defer srv.Close()
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "replay", appKey))
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "finance", "replay", financeKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, sim: providersim.NewAdminClient(simSrv.URL, nil), names: map[string]string{}}
	for i, p := range []string{"rec-a", "rec-b"} {
		r.call("POST", "/v1/producers", financeKey, map[string]any{"id": p, "name": p, "settlement_days": 0, "business_registration_number": "1234567891",
			"bank_account": map[string]any{"bank_code": "004", "account_number": fmt.Sprintf("110000888%d", i), "holder_name": "홍길동"}})
	}
	c, m := r.customer(providersim.CardApprove)
	item := func(pay, producer, event, label string) {
		r.names[workflows.FulfilmentID(pay, producer)] = label
		r.call("POST", "/v1/payments/"+pay+"/items/"+producer+"/"+event, appKey, nil)
	}
	refund := func(pay, producer, label string) {
		res := r.call("POST", "/v1/payments/"+pay+"/refunds", appKey, map[string]any{"items": []any{map[string]any{"producer_id": producer}}})
		require.Equal(t, "succeeded", res["refund"].(map[string]any)["status"], "%v", res)
		r.names[workflows.RefundID(pay, res["refund"].(map[string]any)["id"].(string))] = label
	}

	p1 := r.checkout("s1", c, m, 0)
	item(p1, "rec-a", "delivered", "buyer")
	item(p1, "rec-a", "confirm", "buyer")
	item(p1, "rec-b", "delivered", "auto")
	p2 := r.checkout("s2", c, m, 0)
	item(p2, "rec-a", "delivered", "refunded")
	refund(p2, "rec-a", "items_before_confirmation")
	item(p2, "rec-b", "confirm", "confirm_only")
	p3 := r.checkout("points_at_confirmation", c, m, 0)
	item(p3, "rec-a", "confirm", "points_at_confirmation")
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, a.Pool.QueryRow(ctx, `SELECT count(*) FROM payment_items WHERE confirmed_by = 'auto'`).Scan(&n))
		return n == 1
	}, 30*time.Second, 200*time.Millisecond, "rec-b of the first order auto-confirms")

	run, err := a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "settlement-deadline-rec", TaskQueue: cfg.TaskQueue},
		workflows.SettlementDeadlineCheckName, workflows.DeadlineCheckInput{})
	require.NoError(t, err)
	var found workflows.DeadlineCheckResult
	require.NoError(t, run.Get(ctx, &found))
	require.Positive(t, found.AtRisk)
	r.names["settlement-deadline-rec"] = "at_risk"

	r.settlementRun("daily")
	refund(p1, "rec-a", "items_after_settlement") // rec-a nets negative next period
	r.settlementRun("weekly")

	var list []*workflowservice.ListWorkflowExecutionsResponse
	require.Eventually(t, func() bool {
		res, err := a.Temporal.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: cfg.TemporalNamespace, Query: fmt.Sprintf("TaskQueue = '%s'", cfg.TaskQueue), PageSize: 1000})
		require.NoError(t, err)
		for _, e := range res.Executions {
			if e.CloseTime == nil {
				return false
			}
		}
		list = []*workflowservice.ListWorkflowExecutionsResponse{res}
		return true
	}, 60*time.Second, 500*time.Millisecond)

	execs := list[0].Executions
	sort.Slice(execs, func(i, j int) bool { return execs[i].StartTime.AsTime().Before(execs[j].StartTime.AsTime()) })
	seen := map[string]int{}
	for _, e := range execs {
		if !settlementTypes[e.Type.Name] {
			continue
		}
		label, ok := r.names[e.Execution.WorkflowId]
		if !ok {
			seen[e.Type.Name]++
			label = fmt.Sprint(seen[e.Type.Name])
		}
		name := e.Type.Name + "-settlement_" + label
		hist := &historypb.History{}
		iter := a.Temporal.GetWorkflowHistory(ctx, e.Execution.WorkflowId, e.Execution.RunId, false, 0)
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

// settlementRun runs a payout schedule of the cycle once and waits until the
// run completed (its sales made before the run's cut-off, to the second).
func (r *recorder) settlementRun(cycle string) {
	r.t.Helper()
	id := "rec-" + cycle + "-" + uuid.NewString()[:8]
	r.call("POST", "/v1/payout-schedules", financeKey, map[string]any{"id": id, "cron": "0 10 1 1 *", "cycle": cycle})
	defer r.call("DELETE", "/v1/payout-schedules/"+id, financeKey, nil)
	time.Sleep(1100 * time.Millisecond)
	r.call("POST", "/v1/payout-schedules/"+id+"/trigger", financeKey, nil)
	require.Eventually(r.t, func() bool {
		runs, _ := r.call("GET", "/v1/payout-schedules/"+id, financeKey, nil)["recent_runs"].([]any)
		if len(runs) == 0 {
			return false
		}
		run := r.call("GET", "/v1/payout-runs/"+runs[0].(map[string]any)["run_id"].(string), financeKey, nil)
		return run["status"] == "completed"
	}, 30*time.Second, 200*time.Millisecond, "the %s run completes", cycle)
}
