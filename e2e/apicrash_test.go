package e2e

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
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/devstack"
	"github.com/paysaga/paysaga/providersim"
)

// An API process dies (SIGKILL) while a checkout is in flight. The app retries
// with the same Idempotency-Key against the restarted API: the dead request's
// lease runs out, the retry takes the key over and answers from the workflow
// the dead request started. The final answer comes within the checkout budget
// plus 2 s of the API being back (not after a lock sized budget + 30 s), with
// one payment and one charge at the sandbox.
func TestCheckoutSurvivesAnAPICrash(t *testing.T) {
	const budget = 5 * time.Second
	s := newStack(t) // the worker (in this process) and the sandbox; the API under test runs apart
	customer, method := s.customerWithCard("4111111111111111")
	api := startAPIProcess(t, s, budget)

	// The authorization takes 1.5 s, so the checkout is still waiting when the API dies.
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "*", Op: providersim.OpAuthorize,
		Mode: providersim.ModeLatency, LatencyMS: 1500, Count: 1}))
	order, key := orderID(), uuid.NewString()
	body, err := json.Marshal(checkoutBody(customer, method, order))
	require.NoError(t, err)

	first := make(chan error, 1)
	go func() {
		_, _, err := postCheckout(api.url, key, body)
		first <- err
	}()
	require.Eventually(t, func() bool {
		return s.rows("SELECT count(*) FROM idempotency_keys WHERE key = $1 AND status = 'in_progress'", key) == 1
	}, 10*time.Second, 20*time.Millisecond, "the checkout claimed its key")
	time.Sleep(300 * time.Millisecond) // the workflow is started and waiting on the PG
	api.kill()
	require.Error(t, <-first, "the client lost its connection with the API")

	api.start(t)
	back := time.Now()
	var status int
	var answer map[string]any
	for attempts := 0; ; attempts++ {
		st, b, err := postCheckout(api.url, key, body)
		require.NoError(t, err)
		if st != http.StatusConflict {
			status = st
			require.NoError(t, json.Unmarshal(b, &answer), "%s", b)
			break
		}
		require.Less(t, time.Since(back), budget+2*time.Second, "still 409 after %d retries: %s", attempts, b)
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(back)
	t.Logf("final answer %d %v, %s after the API was back", status, answer["status"], took)
	require.Equal(t, http.StatusCreated, status, "%v", answer)
	require.Equal(t, "succeeded", answer["status"])
	require.LessOrEqual(t, took, budget+2*time.Second)

	require.Equal(t, 1, s.rows("SELECT count(*) FROM payments WHERE order_id = $1", order), "one payment")
	require.Equal(t, answer["id"], paymentOfOrder(t, s, order))
	s.requireChargedOnce(order, 15000)
	s.requireLedgerBalanced()
}

func paymentOfOrder(t *testing.T, s *stack, order string) string {
	t.Helper()
	var id string
	require.NoError(t, s.pool.QueryRow(s.ctx, "SELECT id FROM payments WHERE order_id = $1", order).Scan(&id))
	return id
}

func postCheckout(url, key string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/v1/checkouts", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+appKey)
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// apiProcess is `paysaga api` run as its own process (the built binary) over
// the stack's database, Temporal task queue and sandbox, with no worker inside.
type apiProcess struct {
	bin, url, log string
	env           []string
	p             *devstack.Process
}

// extraEnv (NAME=value) overrides the defaults below.
func startAPIProcess(t *testing.T, s *stack, budget time.Duration, extraEnv ...string) *apiProcess {
	t.Helper()
	port, err := devstack.FreePort()
	require.NoError(t, err)
	cfg := s.app.Config
	a := &apiProcess{bin: paysagaBinary(t), url: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(t.TempDir(), "api.log")}
	a.env = append(os.Environ(),
		"DATABASE_URL="+cfg.DatabaseURL,
		"TEMPORAL_ADDRESS="+cfg.TemporalAddress,
		"PAYSAGA_TASK_QUEUE="+cfg.TaskQueue,
		"PAYSAGA_SIM_URL="+cfg.SimURL,
		"PAYSAGA_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"PAYSAGA_EMBED_WORKER=false",
		"PAYSAGA_CODEC_KEYS="+cfg.CodecKeys,
		"PAYSAGA_CODEC_ADDR=",
		"PAYSAGA_PII_KEY="+cfg.PIIKey,
		"PAYSAGA_RATE_LIMIT=0",
		"PAYSAGA_CHECKOUT_BUDGET="+budget.String(),
		"PAYSAGA_RECON_CRON=",
		"PAYSAGA_LOG_LEVEL=info",
	)
	a.env = append(a.env, extraEnv...)
	a.start(t)
	t.Cleanup(func() {
		if a.p != nil {
			a.p.Stop(5 * time.Second)
		}
		if t.Failed() {
			b, _ := os.ReadFile(a.log)
			t.Logf("paysaga api log:\n%s", b)
		}
	})
	return a
}

func (a *apiProcess) start(t *testing.T) {
	t.Helper()
	out, err := os.OpenFile(a.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	t.Cleanup(func() { out.Close() })
	cmd := exec.Command(a.bin, "api")
	cmd.Env = a.env
	a.p, err = devstack.StartProcess("paysaga api", cmd, out)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		if a.p.Exited() != nil {
			return true
		}
		res, err := http.Get(a.url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 60*time.Second, 50*time.Millisecond, "paysaga api answers /readyz")
	require.NoError(t, a.p.Exited())
}

// kill SIGKILLs the API: no deferred release, no saved answer.
func (a *apiProcess) kill() {
	a.p.Kill()
	a.p = nil
}

// paysagaBinary is $PAYSAGA_BIN, or this tree's paysaga built for the test
// (from the build cache, so a stale .bin/paysaga is never what is tested).
func paysagaBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("PAYSAGA_BIN"); bin != "" {
		return bin
	}
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paysaga-e2e-bin-")
		if err != nil {
			builtErr = err
			return
		}
		builtBin = filepath.Join(dir, "paysaga")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", builtBin, "../cmd/paysaga").CombinedOutput(); err != nil {
			builtErr = fmt.Errorf("go build: %w: %s", err, out)
		}
	})
	require.NoError(t, builtErr)
	return builtBin
}

// The binary is built once per test binary run (several tests start API processes).
var (
	builtOnce sync.Once
	builtBin  string
	builtErr  error
)
