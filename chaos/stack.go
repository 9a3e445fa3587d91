package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/devstack"
)

// stack is every process of one chaos run: PostgreSQL and Temporal (devstack),
// and paysaga's sandbox, worker and API, each a separate `paysaga` process.
type stack struct {
	opts     Options
	dir      string
	pgOpts   devstack.PostgresOptions
	tOpts    devstack.TemporalOptions
	pgURL    string
	temporal string
	simURL   string
	apiURL   string
	env      []string

	mu     sync.Mutex
	pg     *devstack.Postgres
	tmp    *devstack.Temporal
	sim    *devstack.Process
	api    *devstack.Process
	worker *devstack.Process
	// workerUp is false while the worker is killed and not yet restarted.
	workerUp bool
}

func (s *stack) log(name string) (io.Writer, error) {
	return os.OpenFile(filepath.Join(s.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

func freePorts(n int) ([]int, error) {
	out := make([]int, n)
	for i := range out {
		p, err := devstack.FreePort()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// startStack starts everything on free ports, state and logs under dir.
func startStack(ctx context.Context, o Options, dir string) (*stack, error) {
	s := &stack{opts: o, dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // PostgreSQL may run as another user
		return nil, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	pgLog, err := s.log("postgres")
	if err != nil {
		return nil, err
	}
	s.pgOpts = devstack.PostgresOptions{Dir: filepath.Join(dir, "postgres"), Port: ports[0], Throwaway: true, Log: pgLog}
	if s.pg, err = devstack.StartPostgres(ctx, s.pgOpts); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.pgURL = s.pg.URL
	tLog, err := s.log("temporal")
	if err != nil {
		return nil, err
	}
	// A database file, so the server keeps every workflow across its restart.
	s.tOpts = devstack.TemporalOptions{Bin: o.TemporalCLI, Port: ports[1], DBFile: filepath.Join(dir, "temporal.db"), Log: tLog}
	if s.tmp, err = devstack.StartTemporal(ctx, s.tOpts); err != nil {
		s.stop()
		return nil, fmt.Errorf("temporal: %w", err)
	}
	s.temporal = s.tmp.Address
	s.simURL = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	s.apiURL = fmt.Sprintf("http://127.0.0.1:%d", ports[3])
	// Kept beside the logs, so the run's histories can be decoded afterwards
	// (temporal.db with the codec server, or the SDK with this key).
	key := codec.NewKey("chaos")
	if err := os.WriteFile(filepath.Join(dir, "codec-key"), []byte(key+"\n"), 0o600); err != nil {
		s.stop()
		return nil, err
	}
	s.env = append(os.Environ(),
		"DATABASE_URL="+s.pgURL,
		"TEMPORAL_ADDRESS="+s.temporal,
		"PAYSAGA_TASK_QUEUE=chaos",
		fmt.Sprintf("PAYSAGA_SIM_ADDR=127.0.0.1:%d", ports[2]),
		"PAYSAGA_SIM_URL="+s.simURL,
		fmt.Sprintf("PAYSAGA_HTTP_ADDR=127.0.0.1:%d", ports[3]),
		"PAYSAGA_EMBED_WORKER=false",
		"PAYSAGA_CODEC_KEYS="+key,
		"PAYSAGA_CODEC_ADDR=",
		"PAYSAGA_RATE_LIMIT=0",
		"PAYSAGA_PROVIDER_TIMEOUT=2s",
		"PAYSAGA_CHECKOUT_BUDGET=5s",
		"PAYSAGA_WALLET_DAILY_TOPUP=1000000000",
		"PAYSAGA_WALLET_TOPUPS_PER_HOUR=0", // the load tops up the same wallets often; limits are not under test
		"PAYSAGA_LOG_LEVEL=warn",
	)
	if s.sim, err = s.startPaysaga("sim"); err != nil {
		s.stop()
		return nil, err
	}
	if err := waitHTTP(ctx, s.simURL+"/admin/faults", 30*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if s.api, err = s.startPaysaga("api"); err != nil {
		s.stop()
		return nil, err
	}
	if err := waitHTTP(ctx, s.apiURL+"/readyz", 60*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("api: %w", err)
	}
	if err := s.startWorker(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *stack) startPaysaga(cmd string) (*devstack.Process, error) {
	out, err := s.log(cmd)
	if err != nil {
		return nil, err
	}
	c := exec.Command(s.opts.Bin, cmd)
	c.Env = s.env
	p, err := devstack.StartProcess("paysaga "+cmd, c, out)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *stack) startWorker() error {
	w, err := s.startPaysaga("worker")
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.worker, s.workerUp = w, true
	s.mu.Unlock()
	return nil
}

// killWorker SIGKILLs the worker: whatever it was doing is lost mid-step.
func (s *stack) killWorker() {
	s.mu.Lock()
	w := s.worker
	s.worker, s.workerUp = nil, false
	s.mu.Unlock()
	if w != nil {
		w.Kill()
	}
}

// ensureWorker restarts the worker if it is down.
func (s *stack) ensureWorker() error {
	s.mu.Lock()
	up := s.workerUp
	s.mu.Unlock()
	if up {
		return nil
	}
	return s.startWorker()
}

// restartPostgres stops PostgreSQL (fast shutdown: every connection dropped)
// and starts it again on the same port and data.
func (s *stack) restartPostgres(ctx context.Context, down time.Duration) error {
	s.pg.Stop()
	time.Sleep(down)
	pg, err := devstack.StartPostgres(ctx, s.pgOpts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.pg = pg
	s.mu.Unlock()
	return nil
}

// restartTemporal stops the Temporal server and starts it on the same port and
// database file.
func (s *stack) restartTemporal(ctx context.Context, down time.Duration) error {
	s.tmp.Stop()
	time.Sleep(down)
	t, err := devstack.StartTemporal(ctx, s.tOpts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.tmp = t
	s.mu.Unlock()
	return nil
}

func (s *stack) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range []*devstack.Process{s.api, s.worker, s.sim} {
		if p != nil {
			p.Stop(5 * time.Second)
		}
	}
	if s.tmp != nil {
		s.tmp.Stop()
	}
	if s.pg != nil {
		s.pg.Stop()
	}
}

func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, res.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %s: %w", timeout, last)
}
