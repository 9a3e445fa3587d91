package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/devstack"
	"github.com/paysaga/paysaga/workflows"
)

// stack is every process of one chaos run: PostgreSQL and Temporal (devstack),
// and paysaga's sandbox, workers and APIs, each a separate `paysaga` process.
// The dev topology runs one API and one worker on the Temporal dev server; the
// prod topology two of each on the Temporal server on PostgreSQL.
type stack struct {
	opts     Options
	dir      string
	pgOpts   devstack.PostgresOptions
	tOpts    devstack.TemporalOptions
	pgURL    string
	temporal string
	simURL   string
	apiURLs  []string
	apiAddrs []string
	env      []string

	mu      sync.Mutex
	pg      *devstack.Postgres
	tmp     *devstack.Temporal       // topology dev
	server  *devstack.TemporalServer // topology prod
	sim     *devstack.Process
	apis    []*devstack.Process // nil while that replica is killed
	workers []*devstack.Process
	// next victims of killWorker and killAPI, in turn.
	nextWorker, nextAPI int
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
	replicas := 1
	if o.prod() {
		replicas = 2
	}
	ports, err := freePorts(3 + replicas)
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
	if err := s.startTemporal(ctx, ports[1]); err != nil {
		s.stop()
		return nil, err
	}
	s.simURL = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	for _, p := range ports[3:] {
		s.apiAddrs = append(s.apiAddrs, fmt.Sprintf("127.0.0.1:%d", p))
		s.apiURLs = append(s.apiURLs, fmt.Sprintf("http://127.0.0.1:%d", p))
	}
	s.apis, s.workers = make([]*devstack.Process, replicas), make([]*devstack.Process, replicas)
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
		"PAYSAGA_SIM_WEBHOOK_URL=", // no webhooks: the load's answers are synchronous, and nothing stray is posted to :8080
		"PAYSAGA_EMBED_WORKER=false",
		"PAYSAGA_CODEC_KEYS="+key,
		"PAYSAGA_CODEC_ADDR=",
		"PAYSAGA_RATE_LIMIT=0",
		"PAYSAGA_PROVIDER_TIMEOUT=2s",
		"PAYSAGA_CHECKOUT_BUDGET=5s",
		"PAYSAGA_WALLET_DAILY_TOPUP=1000000000",
		"PAYSAGA_WALLET_TOPUPS_PER_HOUR=0", // the load tops up the same wallets often; limits are not under test
		"PAYSAGA_MEMBERSHIP_DUNNING=1m",    // one retry of a failed membership charge, within the run
		"PAYSAGA_LOG_LEVEL=warn",
		// Receipts retried and looked up at test pace, so they settle before verify.
		"PAYSAGA_CASH_RECEIPT_RETRY_EVERY=5s",
		"PAYSAGA_CASH_RECEIPT_POLL_EVERY=1s",
	)
	s.env = append(s.env, o.Env...)
	if s.sim, err = s.startPaysaga("sim", "sim"); err != nil {
		s.stop()
		return nil, err
	}
	if err := waitHTTP(ctx, s.simURL+"/admin/faults", 30*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	for i := range replicas {
		if err := s.startAPI(ctx, i); err != nil {
			s.stop()
			return nil, err
		}
	}
	for i := range replicas {
		if err := s.startWorker(i); err != nil {
			s.stop()
			return nil, err
		}
	}
	if err := s.waitPollers(ctx, replicas, 90*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitPollers waits until n workers poll the task queue: on a loaded machine a
// worker process takes seconds to start, and a request before that only waits.
// A worker that exits first fails the start.
func (s *stack) waitPollers(ctx context.Context, n int, timeout time.Duration) error {
	tc, err := client.DialContext(ctx, client.Options{HostPort: s.temporal, Logger: quiet{}})
	if err != nil {
		return err
	}
	defer tc.Close()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if down := s.exited(); len(down) > 0 {
			return fmt.Errorf("not started: %v", down)
		}
		res, err := tc.DescribeTaskQueue(ctx, "chaos", enums.TASK_QUEUE_TYPE_WORKFLOW)
		if err == nil && len(res.GetPollers()) >= n {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%d workers not polling after %s (logs in %s)", n, timeout, s.dir)
}

// startTemporal starts the topology's Temporal on port.
func (s *stack) startTemporal(ctx context.Context, port int) error {
	tLog, err := s.log("temporal")
	if err != nil {
		return err
	}
	if s.opts.prod() {
		s.server, err = devstack.StartTemporalServer(ctx, devstack.TemporalServerOptions{
			BinDir: s.opts.TemporalServerDir, PGAddr: hostOf(s.pgURL),
			PGUser: "paysaga", Port: port, Dir: filepath.Join(s.dir, "temporal"),
			SearchAttributes: workflows.SearchAttributeTypes(), Log: tLog,
		})
		if err != nil {
			return fmt.Errorf("temporal server: %w", err)
		}
		s.temporal = s.server.Address
		return nil
	}
	// A database file, so the server keeps every workflow across its restart.
	s.tOpts = devstack.TemporalOptions{Bin: s.opts.TemporalCLI, Port: port, DBFile: filepath.Join(s.dir, "temporal.db"), Log: tLog}
	if s.tmp, err = devstack.StartTemporal(ctx, s.tOpts); err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	s.temporal = s.tmp.Address
	return nil
}

// startPaysaga starts `paysaga cmd` logging to name.log, with extra settings.
func (s *stack) startPaysaga(cmd, name string, env ...string) (*devstack.Process, error) {
	out, err := s.log(name)
	if err != nil {
		return nil, err
	}
	c := exec.Command(s.opts.Bin, cmd)
	c.Env = append(append([]string(nil), s.env...), env...)
	p, err := devstack.StartProcess("paysaga "+name, c, out)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// replica names a process of several: "api" alone, "api-2" beside "api-1".
func (s *stack) replica(cmd string, i int) string {
	if len(s.apis) == 1 {
		return cmd
	}
	return fmt.Sprintf("%s-%d", cmd, i+1)
}

// startAPI starts API replica i and waits until it is ready.
func (s *stack) startAPI(ctx context.Context, i int) error {
	p, err := s.startPaysaga("api", s.replica("api", i), "PAYSAGA_HTTP_ADDR="+s.apiAddrs[i])
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.apis[i] = p
	s.mu.Unlock()
	if err := waitHTTP(ctx, s.apiURLs[i]+"/readyz", 60*time.Second); err != nil {
		return fmt.Errorf("%s: %w", s.replica("api", i), err)
	}
	return nil
}

// startWorker starts worker replica i.
func (s *stack) startWorker(i int) error {
	w, err := s.startPaysaga("worker", s.replica("worker", i))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.workers[i] = w
	s.mu.Unlock()
	return nil
}

// kill SIGKILLs the next replica in turn of procs: whatever it was doing is
// lost mid-step. It returns which replica it killed.
func (s *stack) kill(procs []*devstack.Process, next *int) int {
	s.mu.Lock()
	i := *next % len(procs)
	*next++
	p := procs[i]
	procs[i] = nil
	s.mu.Unlock()
	if p != nil {
		p.Kill()
	}
	return i
}

func (s *stack) killWorker() int { return s.kill(s.workers, &s.nextWorker) }
func (s *stack) killAPI() int    { return s.kill(s.apis, &s.nextAPI) }

// ensureWorker restarts every worker that is down.
func (s *stack) ensureWorker() error {
	for i := range s.workers {
		s.mu.Lock()
		up := s.workers[i] != nil
		s.mu.Unlock()
		if !up {
			if err := s.startWorker(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// exited lists the paysaga processes that should run and do not: a replica
// that died on its own, or failed to start again after a kill.
func (s *stack) exited() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	check := func(name string, p *devstack.Process) {
		if p == nil {
			out = append(out, name+" is down")
		} else if err := p.Exited(); err != nil {
			out = append(out, err.Error())
		}
	}
	check("sim", s.sim)
	for i, p := range s.apis {
		check(s.replica("api", i), p)
	}
	for i, p := range s.workers {
		check(s.replica("worker", i), p)
	}
	return out
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
	if s.server != nil {
		return s.server.Restart(ctx, down)
	}
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
	for _, p := range append(append(append([]*devstack.Process(nil), s.apis...), s.workers...), s.sim) {
		if p != nil {
			p.Stop(5 * time.Second)
		}
	}
	if s.tmp != nil {
		s.tmp.Stop()
	}
	if s.server != nil {
		s.server.Stop()
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

// hostOf is the host:port of a database URL.
func hostOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Host
}
