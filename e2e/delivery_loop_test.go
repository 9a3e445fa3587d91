package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/devstack"
	"github.com/paysaga/paysaga/workflows"
)

// outboxEvents writes n events to the outbox as the state changes do, one
// transaction each, a millisecond apart so their outbox order is plain; it
// returns their ids in that order.
func (s *stack) outboxEvents(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("evt_loop_%s_%03d", strings.ReplaceAll(t.Name(), "/", "_"), i)
		_, err := s.pool.Exec(s.ctx, `INSERT INTO events (id, type, key, subject_id, data) VALUES ($1, 'payment.succeeded', $1, 'pay_x', '{"n": 1}')`, ids[i])
		require.NoError(t, err)
		time.Sleep(time.Millisecond)
	}
	return ids
}

func (s *stack) backlog(t *testing.T) map[string]map[string]any {
	t.Helper()
	res := s.call("GET", "/v1/event-deliveries/backlog", opsKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	out := map[string]map[string]any{}
	for _, r := range res.json(t)["data"].([]any) {
		row := r.(map[string]any)
		out[row["endpoint_id"].(string)] = row
	}
	return out
}

// Two endpoints, one of them down for 3 s while 20 events are written. The
// one up receives all 20 at once, in outbox order. The one down is paused by
// its breaker (the backlog and /metrics say so): it receives 3 requests, then
// one probe per cool-down, a handful in all instead of 20 events x attempts.
// Back, it receives all 20, in outbox order, none lost, each accepted once.
// Deleting it then stops its loop. One workflow per endpoint, none per event.
func TestDeliveryLoopPausesADownEndpointAndResumesInOrder(t *testing.T) {
	s := newStack(t, fastEvents)
	up, down := newReceiver(t), newReceiver(t)
	upID, upSecret := s.registerEndpoint(up.srv.URL)
	downID, downSecret := s.registerEndpoint(down.srv.URL)
	up.secret, down.secret = upSecret, downSecret
	down.down.Store(true)

	ids := s.outboxEvents(t, 20)
	require.Eventually(t, func() bool { got, _, _ := up.snapshot(); return len(got) == 20 }, 10*time.Second, 20*time.Millisecond, "the endpoint up is not held back")
	require.Eventually(t, func() bool {
		b := s.backlog(t)[downID]
		return b != nil && b["paused_at"] != nil && b["pending"] == float64(20)
	}, 10*time.Second, 50*time.Millisecond, "the down endpoint's loop is paused, its 20 events owed")
	require.Contains(t, string(s.call("GET", "/metrics", "", nil, nil).Body), fmt.Sprintf(`paysaga_event_endpoint_paused{endpoint_id="%s"} 1`, downID))
	require.Contains(t, string(s.call("GET", "/metrics", "", nil, nil).Body), fmt.Sprintf(`paysaga_event_delivery_oldest_pending_seconds{endpoint_id="%s"}`, downID))
	time.Sleep(3 * time.Second)
	_, failedWhileDown, _ := down.snapshot()
	down.down.Store(false)

	// 3 before the breaker opened, then a probe every 200-400 ms: about 10 in
	// 3-4 s. Without the breaker it would be 20 events retrying each.
	require.GreaterOrEqual(t, failedWhileDown, 3)
	require.LessOrEqual(t, failedWhileDown, 16, "one probe per cool-down, not an attempt per event")
	require.Eventually(t, func() bool { got, _, _ := down.snapshot(); return len(got) == 20 }, 15*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return s.backlog(t)[downID] == nil }, 5*time.Second, 50*time.Millisecond, "nothing owed, not paused")
	for _, r := range []*receiver{up, down} {
		got, _, forged := r.snapshot()
		require.Zero(t, forged)
		for id, n := range got {
			require.Equal(t, 1, n, "event %s accepted once", id)
		}
		r.mu.Lock()
		require.Equal(t, ids, r.order, "in outbox order")
		r.mu.Unlock()
	}
	require.Equal(t, 40, s.rows(`SELECT count(*) FROM event_deliveries WHERE status = 'delivered' AND via = 'loop'`))
	// The head's attempts are numbered 1, 2, ... across the outage.
	require.GreaterOrEqual(t, s.rows(`SELECT max(attempt) FROM event_delivery_attempts WHERE event_id = $1 AND endpoint_id = $2`, ids[0], downID), failedWhileDown+1)
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM event_delivery_attempts WHERE event_id = $1 AND endpoint_id = $2`, ids[1], downID), "the events behind the head: one attempt each")
	for _, ep := range []string{upID, downID} {
		d, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, workflows.EndpointDeliveryID(ep), "")
		require.NoError(t, err)
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus())
	}
	for _, id := range ids {
		_, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, workflows.DeliverEventID(id), "")
		require.Error(t, err, "no per-event workflow")
	}

	require.Equal(t, 204, s.call("DELETE", "/v1/webhook-endpoints/"+downID, appKey, nil, nil).Status)
	require.Eventually(t, func() bool {
		d, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, workflows.EndpointDeliveryID(downID), "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED
	}, 10*time.Second, 50*time.Millisecond, "deleting the endpoint stops its loop")
}

// workerProcess is `paysaga worker` (the built binary) on the stack's
// database and task queue: what a kill can take away mid-batch.
func startWorkerProcess(t *testing.T, s *stack) *devstack.Process {
	t.Helper()
	cfg := s.app.Config
	cmd := exec.Command(paysagaBinary(t), "worker")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+cfg.DatabaseURL,
		"TEMPORAL_ADDRESS="+cfg.TemporalAddress,
		"PAYSAGA_TASK_QUEUE="+cfg.TaskQueue,
		"PAYSAGA_SIM_URL="+cfg.SimURL,
		"PAYSAGA_CODEC_KEYS="+cfg.CodecKeys,
		"PAYSAGA_CODEC_ADDR=",
		"PAYSAGA_PII_KEY="+cfg.PIIKey,
		"PAYSAGA_PII_SEAL_KEYS="+cfg.PIISealKeys,
		"PAYSAGA_METRICS_ADDR=",
		"PAYSAGA_RECON_CRON=",
		"PAYSAGA_WEBHOOK_ALLOW_INTERNAL=true",
		"PAYSAGA_EVENT_TIMEOUT="+cfg.EventTimeout.String(),
		"PAYSAGA_EVENT_PACE=0s",
	)
	log, err := os.Create(filepath.Join(t.TempDir(), "worker.log"))
	require.NoError(t, err)
	t.Cleanup(func() { log.Close() })
	p, err := devstack.StartProcess("paysaga worker", cmd, log)
	require.NoError(t, err)
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	return p
}

// The only worker is SIGKILLed in the middle of a loop's batch, while a
// request is in flight (the endpoint answers in 50 ms, 30 events owed; the
// receiver does not count a request whose sender is gone). The loop's activity times out on its
// heartbeat and another worker runs it again from PostgreSQL: every event
// arrives, in outbox order; at most the one in flight at the kill twice.
func TestDeliveryLoopLosesNothingWhenItsWorkerIsKilled(t *testing.T) {
	s := newStack(t, fastEvents, func(c *config.Config) { c.EventTimeout = time.Second }) // the lost batch is retried 6 s after its last heartbeat
	rcv := newReceiver(t)
	rcv.delay = 50 * time.Millisecond
	_, rcv.secret = s.registerEndpoint(rcv.srv.URL)
	s.app.Worker.Stop() // the relay stays; the work goes to the process below
	first := startWorkerProcess(t, s)

	ids := s.outboxEvents(t, 30)
	require.Eventually(t, func() bool { // five accepted, the sixth in flight
		got, _, _ := rcv.snapshot()
		return len(got) >= 5 && rcv.started.Load() > int64(len(got))
	}, 20*time.Second, 5*time.Millisecond)
	first.Kill()
	got, _, _ := rcv.snapshot()
	require.Less(t, len(got), 30, "killed mid-loop")
	startWorkerProcess(t, s)

	require.Eventually(t, func() bool { got, _, _ := rcv.snapshot(); return len(got) == 30 }, 40*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool {
		return s.rows(`SELECT count(*) FROM event_deliveries WHERE status = 'delivered'`) == 30
	}, 10*time.Second, 50*time.Millisecond)
	got, _, _ = rcv.snapshot()
	twice := 0
	for _, n := range got {
		twice += n - 1
	}
	require.LessOrEqual(t, twice, 1, "only the attempt in flight at the kill is repeated")
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.Equal(t, ids, rcv.order, "in outbox order")
}
