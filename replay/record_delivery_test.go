package replay_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/deliveryloop"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

var recordDelivery = flag.Bool("record-delivery", false, "record the endpoint delivery loop histories (testdata/EndpointDelivery-loop_*.json), leaving the others")

// TestRecordDelivery records the per-endpoint delivery loop (issue 19) into
// testdata/EndpointDelivery-loop_<scenario>_<run>.json, beside the other
// recordings (go test ./replay -run TestRecordDelivery -record-delivery,
// under `paysaga services`): an endpoint up, whose loop delivers, idles and
// continues as new, then is stopped by the endpoint's deletion; an endpoint
// down whose breaker opens, probes and closes, which refuses one event until
// the loop gives it up, then is deleted.
func TestRecordDelivery(t *testing.T) {
	if !*recordDelivery {
		t.Skip("pass -record-delivery to record the delivery loop histories")
	}
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	defer simSrv.Close()
	cfg := recordingConfig(t, simSrv.URL)
	cfg.WebhookAllowInternal = true
	cfg.EventPollInterval = 50 * time.Millisecond
	a, err := app.Start(ctx, cfg, zerolog.Nop(), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	defer a.Close()
	srv := httptest.NewServer(a.HTTP)
	defer srv.Close()
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "replay", appKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, names: map[string]string{}}

	var down atomic.Bool
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case down.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
		case req.Header.Get("Paysaga-Event-Id") == "evt_rec_refused":
			w.WriteHeader(http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer rcv.Close()

	// Small settings so that each path shows in a few seconds; the relay's
	// wakes reach the loops started here with them.
	s := deliveryloop.Settings(cfg)
	s.Backoff = workflows.DeliveryBackoff{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, MaxAttempts: 2}
	s.BreakerFailures, s.BreakerCooldown, s.Pace = 2, 200*time.Millisecond, 5*time.Millisecond
	s.IdleRecheck, s.MaxBatches = 300*time.Millisecond, 5
	endpoint := func(label string) string {
		id := r.call("POST", "/v1/webhook-endpoints", appKey, map[string]any{"url": rcv.URL})["id"].(string)
		r.names[workflows.EndpointDeliveryID(id)] = label
		_, err := a.Temporal.SignalWithStartWorkflow(ctx, workflows.EndpointDeliveryID(id), workflows.EndpointDeliveryWake, nil,
			client.StartWorkflowOptions{ID: workflows.EndpointDeliveryID(id), TaskQueue: cfg.TaskQueue},
			workflows.EndpointDeliveryName, workflows.EndpointDeliveryInput{EndpointID: id, Settings: s})
		require.NoError(t, err)
		return id
	}
	emit := func(ids ...string) {
		for _, id := range ids {
			_, err := a.Pool.Exec(ctx, `INSERT INTO events (id, type, key, subject_id, data) VALUES ($1, 'payment.succeeded', $1, 'pay_rec', '{}')`, id)
			require.NoError(t, err)
		}
	}
	delivered := func() {
		require.Eventually(t, func() bool {
			var n int
			require.NoError(t, a.Pool.QueryRow(ctx, `SELECT count(*) FROM events e LEFT JOIN event_deliveries d ON d.event_id = e.id
				WHERE e.dispatched_at IS NULL OR d.status = 'pending'`).Scan(&n))
			return n == 0
		}, 30*time.Second, 50*time.Millisecond)
	}

	// Up: delivers, idles, continues as new.
	upID := endpoint("up")
	emit("evt_rec_1", "evt_rec_2", "evt_rec_3")
	delivered()
	time.Sleep(5 * time.Second) // idle rechecks past MaxBatches: a second run
	require.Equal(t, 204, r.status("DELETE", "/v1/webhook-endpoints/"+upID))

	// Down, then refusing one event.
	down.Store(true)
	downID := endpoint("breaker")
	emit("evt_rec_4", "evt_rec_refused", "evt_rec_5")
	require.Eventually(t, func() bool {
		var paused bool
		require.NoError(t, a.Pool.QueryRow(ctx, `SELECT paused_at IS NOT NULL FROM webhook_endpoints WHERE id = $1`, downID).Scan(&paused))
		return paused
	}, 10*time.Second, 50*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	down.Store(false)
	delivered()
	require.Equal(t, 204, r.status("DELETE", "/v1/webhook-endpoints/"+downID))

	var execs []*workflowservice.ListWorkflowExecutionsResponse
	require.Eventually(t, func() bool {
		res, err := a.Temporal.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: cfg.TemporalNamespace, Query: fmt.Sprintf("TaskQueue = '%s' AND WorkflowType = '%s'", cfg.TaskQueue, workflows.EndpointDeliveryName), PageSize: 1000})
		require.NoError(t, err)
		for _, e := range res.Executions {
			if e.CloseTime == nil {
				return false
			}
		}
		execs = []*workflowservice.ListWorkflowExecutionsResponse{res}
		return len(res.Executions) >= 3
	}, 30*time.Second, 200*time.Millisecond)

	list := execs[0].Executions
	sort.Slice(list, func(i, j int) bool { return list[i].StartTime.AsTime().Before(list[j].StartTime.AsTime()) })
	seen := map[string]int{}
	for _, e := range list {
		label := r.names[e.Execution.WorkflowId]
		seen[label]++
		name := fmt.Sprintf("%s-loop_%s_%d", e.Type.Name, label, seen[label])
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
		t.Logf("recorded %s (%d events, %s)", name, len(hist.Events), e.Status)
	}
}

func (r *recorder) status(method, path string) int {
	r.t.Helper()
	req, err := http.NewRequestWithContext(r.ctx, method, r.url+path, nil)
	require.NoError(r.t, err)
	req.Header.Set("Authorization", "Bearer "+appKey)
	res, err := http.DefaultClient.Do(req)
	require.NoError(r.t, err)
	_ = res.Body.Close()
	return res.StatusCode
}
