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
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
)

var recordBatches = flag.Bool("record-batches", false, "record the batched payout run (i19-payout-batches) into testdata/*-batches_*.json, leaving the others")

// TestRecordBatches records a payout run in batches (issue 19, ADR 0025) into
// testdata/<type>-batches_<n>.json beside the other recordings (go test
// ./replay -run TestRecordBatches -record-batches, under `paysaga services`):
// four producers, one of them with a closed account (held in its batch) and
// one above the approval threshold (its own Payout workflow, approved by
// finance); the other three paid in PayoutBatch workflows (a short page is cut
// into up to Concurrency/BatchWorkers batches: three of one).
func TestRecordBatches(t *testing.T) {
	if !*recordBatches {
		t.Skip("pass -record-batches to record the batched payout histories")
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
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "finance", "replay", financeKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, names: map[string]string{}}

	tag := uuid.NewString()[:6]
	owed := map[string]int64{"a": 3_000, "b": 4_000, "closed": 2_000, "big": 9_000}
	accounts := map[string]string{"a": "1100008881", "b": "1100008882", "closed": "9980008883", "big": "1100008884"}
	for _, p := range []string{"a", "b", "closed", "big"} {
		id := "rb-" + tag + "-" + p
		r.call("POST", "/v1/producers", financeKey, map[string]any{"id": id, "name": id, "settlement_days": 0, "business_registration_number": "1234567891",
			"bank_account": map[string]any{"bank_code": "004", "account_number": accounts[p], "holder_name": "홍길동"}})
		j := ledger.Journal{Key: "rec-batch-sale:" + id, Kind: "payment_capture", Postings: []ledger.Posting{
			{Account: ledger.PGReceivable("alpha"), Currency: "KRW", Amount: owed[p]},
			{Account: ledger.ProducerPayable(id), Currency: "KRW", Amount: -owed[p]},
		}}
		require.NoError(t, pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
			_, err := ledger.Post(ctx, db.New(tx), j)
			return err
		}))
	}
	sched := "rec-batches-" + tag
	r.call("POST", "/v1/payout-schedules", financeKey, map[string]any{"id": sched, "cron": "0 10 1 1 *", "approval_threshold": 5_000})
	defer r.call("DELETE", "/v1/payout-schedules/"+sched, financeKey, nil)
	time.Sleep(1100 * time.Millisecond) // the cut-off falls after the sales
	r.call("POST", "/v1/payout-schedules/"+sched+"/trigger", financeKey, nil)

	var big string
	require.Eventually(t, func() bool {
		return a.Pool.QueryRow(ctx, `SELECT id FROM payouts WHERE producer_id = $1 AND status = 'awaiting_approval'`, "rb-"+tag+"-big").Scan(&big) == nil
	}, 30*time.Second, 200*time.Millisecond)
	r.call("POST", "/v1/payouts/"+big+"/approve", financeKey, nil)

	var list []*workflowpb.WorkflowExecutionInfo
	require.Eventually(t, func() bool {
		res, err := a.Temporal.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: cfg.TemporalNamespace, Query: fmt.Sprintf("TaskQueue = '%s'", cfg.TaskQueue), PageSize: 100})
		require.NoError(t, err)
		for _, e := range res.Executions {
			if e.CloseTime == nil {
				return false
			}
		}
		list = res.Executions
		return len(list) >= 5 // the run, three batches, the approved payout
	}, 60*time.Second, 200*time.Millisecond)

	sort.Slice(list, func(i, j int) bool { return list[i].StartTime.AsTime().Before(list[j].StartTime.AsTime()) })
	seen := map[string]int{}
	for _, e := range list {
		seen[e.Type.Name]++
		name := fmt.Sprintf("%s-batches_%d", e.Type.Name, seen[e.Type.Name])
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
	var held, paid int
	require.NoError(t, a.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'held'), count(*) FILTER (WHERE status = 'paid') FROM payouts WHERE producer_id LIKE $1`,
		"rb-"+tag+"-%").Scan(&held, &paid))
	require.Equal(t, [2]int{1, 3}, [2]int{held, paid}, "the closed account held, the others paid")
}
