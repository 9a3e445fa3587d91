package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/paysaga/paysaga/providersim"
)

// schedule is the seeded sequence of chaos events: the same seed gives the same
// events in the same order with the same gaps (how many run depends on how long
// the load lasts).
type schedule struct {
	rng *rand.Rand
	sz  size
}

func newSchedule(seed int64, sz size) *schedule {
	return &schedule{rng: rand.New(rand.NewPCG(uint64(seed), 0xc4a05)), sz: sz}
}

// faults the schedule draws from: every kind of trouble a provider can make.
var faults = []providersim.Fault{
	{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeError, Status: 500, Count: 3},
	{Provider: "pg:alpha", Op: providersim.OpCapture, Mode: providersim.ModeError, Status: 502, Count: 3},
	{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeTimeoutAfterCommit, Count: 2},
	{Provider: "pg:alpha", Op: providersim.OpCapture, Mode: providersim.ModeTimeoutAfterCommit, Count: 2},
	{Provider: "pg:alpha", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 2},
	{Provider: "pg:alpha", Op: "*", Mode: providersim.ModeLatency, LatencyMS: 1500, Count: 6},
	{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeTimeoutAfterCommit, Count: 2},
	{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeError, Status: 503, Count: 3},
	{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeTimeoutAfterCommit, Count: 1},
	{Provider: "*", Op: providersim.OpQuery, Mode: providersim.ModeError, Status: 500, Count: 2},
}

// The one PG outage: the next requests to the primary answer 503, so checkouts
// fail over to the secondary.
var outage = providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: providersim.ModeOutage, Count: 25}

// Which event (by number) restarts PostgreSQL and which the Temporal server.
const (
	outageAt          = 1
	restartPostgresAt = 3
	restartTemporalAt = 6
)

func (sc *schedule) gap() time.Duration {
	lo, hi := sc.sz.killEvery[0], sc.sz.killEvery[1]
	return lo + time.Duration(sc.rng.Int64N(int64(hi-lo)))
}

// run executes events until loadDone closes.
func (sc *schedule) run(ctx context.Context, s *stack, sim *providersim.AdminClient, loadDone <-chan struct{}, rep *Report, logf func(string, ...any)) {
	began := time.Now()
	for n := 0; ; n++ {
		gap := sc.gap()
		down := 200*time.Millisecond + time.Duration(sc.rng.Int64N(int64(1800*time.Millisecond)))
		pick := sc.rng.IntN(100)
		fault := faults[sc.rng.IntN(len(faults))]
		select {
		case <-loadDone:
			return
		case <-ctx.Done():
			return
		case <-time.After(gap):
		}
		at := time.Since(began).Round(100 * time.Millisecond)
		var event string
		switch {
		case n == restartPostgresAt:
			event = fmt.Sprintf("restart postgres (down %s)", down.Round(time.Millisecond))
			if err := s.restartPostgres(ctx, down); err != nil {
				event += ": " + err.Error()
			}
			rep.Restarts = append(rep.Restarts, "postgres")
		case n == restartTemporalAt:
			event = fmt.Sprintf("restart temporal (down %s)", down.Round(time.Millisecond))
			if err := s.restartTemporal(ctx, down); err != nil {
				event += ": " + err.Error()
			}
			rep.Restarts = append(rep.Restarts, "temporal")
		case n == outageAt:
			event = fmt.Sprintf("fault %s %s %s x%d", outage.Provider, outage.Op, outage.Mode, outage.Count)
			if err := sim.SetFault(ctx, outage); err != nil {
				event += ": " + err.Error()
			}
			rep.Faults++
		case pick < 55:
			event = fmt.Sprintf("kill worker (down %s)", down.Round(time.Millisecond))
			s.killWorker()
			rep.Kills++
			time.Sleep(down)
			if err := s.startWorker(); err != nil {
				event += ": " + err.Error()
			}
		default:
			event = fmt.Sprintf("fault %s %s %s x%d", fault.Provider, fault.Op, fault.Mode, fault.Count)
			if err := sim.SetFault(ctx, fault); err != nil {
				event += ": " + err.Error()
			}
			rep.Faults++
		}
		event = fmt.Sprintf("t+%s %s", at, event)
		rep.Events = append(rep.Events, event)
		logf("%s", event)
	}
}
