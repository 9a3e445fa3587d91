package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/verify"
)

// A deploy sends SIGTERM. The API first answers /readyz 503 (draining) while it
// still serves, then finishes the checkouts in flight: each gets its answer
// (201 succeeded, or 202 past the budget), none a broken connection. The worker
// stops polling and exits within its stop timeout, not killed; a new worker
// finishes every payment, each charged once.
func TestGracefulSIGTERM(t *testing.T) {
	ctx := t.Context()
	bin := filepath.Join(t.TempDir(), "paysaga")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/paysaga").CombinedOutput()
	require.NoError(t, err, "%s", out)
	dir, err := os.MkdirTemp("", "paysaga-graceful-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	const stopTimeout = 5 * time.Second
	s, err := startStack(ctx, Options{Bin: bin, TemporalCLI: testenv.TemporalCLI(t), Dir: dir,
		Env: []string{"PAYSAGA_DRAIN_DELAY=500ms", "PAYSAGA_WORKER_STOP_TIMEOUT=" + stopTimeout.String()}}, dir)
	require.NoError(t, err)
	t.Cleanup(func() {
		s.stop()
		if !t.Failed() {
			_ = os.RemoveAll(dir)
		}
	})
	pool, err := pgxpool.New(ctx, s.pgURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	appKey := "graceful-app"
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(pool), "app", "graceful app", appKey))
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(pool), "finance", "graceful finance", "graceful-finance"))
	sim := providersim.NewAdminClient(s.simURL, nil)
	c, err := newAPIClient(s.apiURLs, appKey, "graceful-finance", &http.Client{Timeout: 30 * time.Second}, time.Minute)
	require.NoError(t, err)
	l := &load{c: c, sim: sim, latencies: map[string][]time.Duration{}, counts: map[string]int{}}
	require.NoError(t, l.setup(ctx, 7, 4, 0))
	// Every authorization takes 1.5 s: requests are still in flight when the
	// drain delay ends.
	require.NoError(t, sim.SetFault(ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeLatency, LatencyMS: 1500, Count: 100}))

	// The API: SIGTERM while 6 checkouts are in flight.
	answers := checkouts(ctx, t, s.apiURLs[0], appKey, l, "api", 6)
	time.Sleep(300 * time.Millisecond)
	termDone := make(chan error, 1)
	go func() {
		_, err := s.apis[0].Terminate(30 * time.Second)
		termDone <- err
	}()
	time.Sleep(200 * time.Millisecond)
	status, body := get(t, s.apiURLs[0]+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, status, "draining API is not ready: %s", body)
	require.Contains(t, body, `"draining"`)
	status, _ = get(t, s.apiURLs[0]+"/healthz")
	require.Equal(t, http.StatusOK, status, "it still serves while draining")
	for i, a := range answers() {
		require.NoError(t, a.err, "checkout %d got no answer", i)
		require.Contains(t, []int{201, 202}, a.status, "checkout %d: %s", i, a.body)
	}
	require.NoError(t, <-termDone, "the API exits cleanly after draining")
	require.NoError(t, s.startAPI(ctx, 0))

	// The worker: SIGTERM while authorizations are in flight at the sandbox.
	answers = checkouts(ctx, t, s.apiURLs[0], appKey, l, "worker", 6)
	time.Sleep(700 * time.Millisecond)
	took, err := s.workers[0].Terminate(30 * time.Second)
	require.NoError(t, err, "the worker exits on its own after SIGTERM")
	require.Less(t, took, stopTimeout+3*time.Second, "within its stop timeout")
	s.workers[0] = nil
	require.NoError(t, s.startWorker(0))
	for i, a := range answers() {
		require.NoError(t, a.err, "checkout %d got no answer", i)
		require.Contains(t, []int{201, 202}, a.status, "checkout %d: %s", i, a.body)
	}
	require.NoError(t, sim.ClearFaults(ctx))

	tc, err := client.DialContext(ctx, client.Options{HostPort: s.temporal, Logger: quiet{}})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	_, err = quiesce(ctx, tc, 2*time.Minute)
	require.NoError(t, err)
	var succeeded int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM payments WHERE status = 'succeeded'").Scan(&succeeded))
	require.Equal(t, 12, succeeded, "every checkout of both rounds succeeded")
	rep, err := verify.Run(ctx, verify.Sources{Pool: pool, Sim: sim, Temporal: tc, Namespace: "default", TaskQueue: "chaos"})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%s", rep)
}

type answer struct {
	status int
	body   string
	err    error
}

// checkouts sends n checkouts at once, each tried once (no retry: a broken
// connection is an error), and returns a function that waits for the answers.
func checkouts(ctx context.Context, t *testing.T, base, key string, l *load, round string, n int) func() []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		cu := l.customers[i%len(l.customers)]
		body, _ := json.Marshal(map[string]any{"order_id": fmt.Sprintf("graceful-%s-%d", round, i), "customer_id": cu.id, "currency": "KRW",
			"amount": 10_000, "items": []map[string]any{{"producer_id": l.producers[0], "amount": 10_000}}, "payment": map[string]any{"method_id": cu.card}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/checkouts", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Idempotency-Key", fmt.Sprintf("graceful-%s-%d", round, i))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				out[i].err = err
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			out[i] = answer{status: res.StatusCode, body: string(b)}
		}()
	}
	return func() []answer { wg.Wait(); return out }
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
