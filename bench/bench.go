// Package bench measures paysaga's own overhead: checkouts driven over HTTP
// (sequential and concurrent) against a bare Temporal workflow of three no-op
// local activities on the same server, so the ratio shows what paysaga adds
// on top of Temporal's floor.
package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/devstack"
)

// Options for one benchmark run.
type Options struct {
	Checkout   func(ctx context.Context, n int) error // one checkout over HTTP; n makes ids unique
	Temporal   client.Client
	TaskQueue  string // for the bare workflow's own worker
	Sequential int    // requests in the sequential run
	Total      int    // requests in the concurrent run
	Workers    int    // concurrency of the concurrent run
	Out        io.Writer
	// Meters, with RunPaced: the services whose CPU and writes per request
	// the report adds (the Temporal server, PostgreSQL, this process).
	Meters []Meter
	// PGURL, with RunPaced: a PostgreSQL whose backends are sampled during
	// each run (where the database time goes); "" samples nothing.
	PGURL string
}

// Stats summarises one run.
type Stats struct {
	Name       string
	N          int
	P50, P99   time.Duration
	Throughput float64 // per second
	Errors     int
}

// Run measures the four runs and prints them with the ratios.
func Run(ctx context.Context, o Options) ([]Stats, error) {
	bare, stop, err := startBare(ctx, o)
	if err != nil {
		return nil, err
	}
	defer stop()
	offset := int(time.Now().Unix() % 1_000_000 * 10_000)
	stats := []Stats{
		measure(ctx, "checkout sequential", o.Sequential, 1, func(ctx context.Context, n int) error { return o.Checkout(ctx, offset+n) }),
		measure(ctx, "bare sequential", o.Sequential, 1, bare),
		measure(ctx, fmt.Sprintf("checkout %d concurrent", o.Workers), o.Total, o.Workers, func(ctx context.Context, n int) error { return o.Checkout(ctx, offset+o.Sequential+n) }),
		measure(ctx, fmt.Sprintf("bare %d concurrent", o.Workers), o.Total, o.Workers, bare),
	}
	report(o.Out, stats)
	return stats, nil
}

// startBare starts the bare workflow's worker and warms both paths
// (connections, caches) before anything is measured.
func startBare(ctx context.Context, o Options) (func(context.Context, int) error, func(), error) {
	w := sdkworker.New(o.Temporal, o.TaskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(BareWorkflow, workflow.RegisterOptions{Name: BareWorkflowName})
	w.RegisterActivity(noop)
	if err := w.Start(); err != nil {
		return nil, nil, fmt.Errorf("bench worker: %w", err)
	}
	bare := func(ctx context.Context, n int) error {
		// As an HTTP client gives up on a checkout, so that a wedged server
		// ends the run with errors instead of hanging it.
		ctx, cancel := context.WithTimeout(ctx, bareTimeout)
		defer cancel()
		run, err := o.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: fmt.Sprintf("bench-bare-%d-%d", time.Now().UnixNano(), n), TaskQueue: o.TaskQueue, EnableEagerStart: true,
		}, BareWorkflowName)
		if err != nil {
			return err
		}
		return run.Get(ctx, nil)
	}
	for i := range 20 {
		_ = o.Checkout(ctx, -1-i)
		_ = bare(ctx, -1-i)
	}
	return bare, w.Stop, nil
}

// RunPaced is the open-loop load: checkouts started at rate per second for d
// whatever the answers take (as an outside load client does), then the bare
// workflow at the same rate for the same time on the same server.
func RunPaced(ctx context.Context, o Options, rate float64, d time.Duration) ([]Stats, error) {
	bare, stop, err := startBare(ctx, o)
	if err != nil {
		return nil, err
	}
	defer stop()
	offset := int(time.Now().Unix() % 1_000_000 * 10_000)
	var checkout, bareStats Stats
	// Workflows a run left running (answered past their budget) would load
	// the server under the next run: each run waits for them (settle), and
	// its cost counts them.
	var waits [2]*pgWaits
	sampled := func(i int, run func()) {
		sctx, stop := context.WithCancel(ctx)
		waits[i] = samplePGWaits(sctx, o.PGURL)
		run()
		stop()
	}
	costs := [][]devstack.Usage{
		metered(o.Meters, func() {
			sampled(0, func() {
				checkout = paced(ctx, fmt.Sprintf("checkout at %.0f/s", rate), rate, d, func(ctx context.Context, n int) error { return o.Checkout(ctx, offset+n) })
			})
			settle(ctx, o)
		}),
		metered(o.Meters, func() {
			sampled(1, func() { bareStats = paced(ctx, fmt.Sprintf("bare at %.0f/s", rate), rate, d, bare) })
			settle(ctx, o)
		}),
	}
	stats := []Stats{checkout, bareStats}
	report(o.Out, stats)
	if o.PGURL != "" {
		waits[0].report(o.Out, checkout.Name)
		waits[1].report(o.Out, bareStats.Name)
	}
	reportCost(o.Out, o.Meters, []string{checkout.Name, bareStats.Name}, costs, []int{checkout.N, bareStats.N})
	return stats, nil
}

// settle waits until no workflow runs on the server (up to settleLimit) and
// says how long that took: the backlog a run left behind.
func settle(ctx context.Context, o Options) {
	start := time.Now()
	for time.Since(start) < settleLimit {
		r, err := o.Temporal.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: "default", Query: settleQuery,
		})
		if err == nil && r.GetCount() == 0 {
			fmt.Fprintf(o.Out, "server idle %.1fs after the run\n", time.Since(start).Seconds())
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	fmt.Fprintf(o.Out, "server still busy %s after the run\n", settleLimit)
}

// bareTimeout bounds one bare workflow, start to result (the checkout's
// HTTP client gives up after 30 s).
const bareTimeout = 30 * time.Second

// settleLimit bounds settle: past it the next run starts on a busy server
// and the report says so.
const settleLimit = 2 * time.Minute

// settleQuery counts the runs' own workflows still running.
const settleQuery = "ExecutionStatus = 'Running' AND WorkflowType IN ('Checkout', '" + BareWorkflowName + "')"

// paced starts call every 1/rate seconds for d, each on its own goroutine;
// a latency is from the call's scheduled start to its answer.
func paced(ctx context.Context, name string, rate float64, d time.Duration, call func(context.Context, int) error) Stats {
	n := int(rate * d.Seconds())
	lat := make([]time.Duration, n)
	errs := make([]bool, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = call(ctx, i) != nil
			lat[i] = time.Since(at)
		}()
	}
	wg.Wait()
	return summarise(name, lat, errs, time.Since(start))
}

// BareWorkflowName is the no-op baseline: three local activities, nothing else.
const BareWorkflowName = "BenchBare"

func BareWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	for range 3 {
		if err := workflow.ExecuteLocalActivity(ctx, noop).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func noop(context.Context) error { return nil }

func measure(ctx context.Context, name string, n, workers int, call func(context.Context, int) error) Stats {
	lat := make([]time.Duration, n)
	errs := make([]bool, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				errs[i] = call(ctx, i) != nil
				lat[i] = time.Since(t0)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return summarise(name, lat, errs, time.Since(start))
}

func summarise(name string, lat []time.Duration, errs []bool, wall time.Duration) Stats {
	s := Stats{Name: name, N: len(lat), Throughput: float64(len(lat)) / wall.Seconds()}
	for _, e := range errs {
		if e {
			s.Errors++
		}
	}
	slices.Sort(lat)
	s.P50, s.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return s
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func report(w io.Writer, stats []Stats) {
	fmt.Fprintf(w, "%-26s %6s %10s %10s %12s %6s\n", "run", "n", "p50", "p99", "throughput", "errors")
	for _, s := range stats {
		fmt.Fprintf(w, "%-26s %6d %10s %10s %10.1f/s %6d\n", s.Name, s.N, ms(s.P50), ms(s.P99), s.Throughput, s.Errors)
	}
	ratio := func(a, b Stats) {
		fmt.Fprintf(w, "ratio %s / %s: p50 %.2fx, p99 %.2fx, throughput %.2fx\n", a.Name, b.Name,
			float64(a.P50)/float64(b.P50), float64(a.P99)/float64(b.P99), a.Throughput/b.Throughput)
	}
	for i := 0; i+1 < len(stats); i += 2 {
		ratio(stats[i], stats[i+1])
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
