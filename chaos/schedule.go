package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/paysaga/paysaga/providersim"
)

// schedule is the seeded chaos: two streams, worker kills and everything else
// (faults, the outage, the two restarts). The same seed gives the same events in
// the same order with the same gaps (how many run depends on how long the load
// lasts).
type schedule struct {
	kills, faults *rand.Rand
	sz            size
	mu            sync.Mutex // guards the report while both streams run
}

func newSchedule(seed int64, sz size) *schedule {
	return &schedule{kills: rand.New(rand.NewPCG(uint64(seed), 0xc4a05)), faults: rand.New(rand.NewPCG(uint64(seed), 0xfa017)), sz: sz}
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

// Unresolvable ambiguities: the provider commits but the answer is lost, and the
// lookup by idempotency key that would settle it in the same attempt fails too,
// so the activity fails after the money moved and Temporal retries it. Only the
// same key on the retry keeps it from moving twice.
var ambiguities = map[int][]providersim.Fault{
	3: {
		{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeTimeoutAfterCommit, Count: 1},
		{Provider: "bank", Op: providersim.OpQuery, Mode: providersim.ModeError, Status: 500, Count: 1},
	},
	5: {
		{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeTimeoutAfterCommit, Count: 1},
		{Provider: "pg:alpha", Op: providersim.OpQuery, Mode: providersim.ModeError, Status: 500, Count: 1},
	},
}

// Which event (by number) restarts PostgreSQL and which the Temporal server.
const (
	outageAt          = 1
	restartPostgresAt = 2
	restartTemporalAt = 4
)

func gap(rng *rand.Rand, between [2]time.Duration) time.Duration {
	return between[0] + time.Duration(rng.Int64N(int64(between[1]-between[0])))
}

// step is one drawn event: the wait before it, how long a stopped process stays
// down, and for the fault stream the fault (unless the event number says otherwise).
type step struct {
	Gap, Down time.Duration
	Fault     providersim.Fault
}

func downFor(rng *rand.Rand) time.Duration {
	return 200*time.Millisecond + time.Duration(rng.Int64N(int64(1800*time.Millisecond)))
}

func (sc *schedule) nextKill() step {
	g := gap(sc.kills, sc.sz.killEvery)
	return step{Gap: g, Down: downFor(sc.kills)}
}

func (sc *schedule) nextFault() step {
	g := gap(sc.faults, sc.sz.faultEvery)
	d := downFor(sc.faults)
	return step{Gap: g, Down: d, Fault: faults[sc.faults.IntN(len(faults))]}
}

// run executes both streams until loadDone closes.
func (sc *schedule) run(ctx context.Context, s *stack, sim *providersim.AdminClient, loadDone <-chan struct{}, rep *Report, logf func(string, ...any)) {
	began := time.Now()
	note := func(event string) {
		event = fmt.Sprintf("t+%s %s", time.Since(began).Round(100*time.Millisecond), event)
		sc.mu.Lock()
		rep.Events = append(rep.Events, event)
		sc.mu.Unlock()
		logf("%s", event)
	}
	wait := func(d time.Duration) bool {
		select {
		case <-loadDone:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the worker, SIGKILLed every few seconds; in prod, in turn with an API
		defer wg.Done()
		for n, st := 0, sc.nextKill(); wait(st.Gap); n, st = n+1, sc.nextKill() {
			down := st.Down
			var event string
			if s.opts.prod() && n%2 == 1 {
				i := s.killAPI()
				sc.mu.Lock()
				rep.APIKills++
				sc.mu.Unlock()
				time.Sleep(down)
				event = fmt.Sprintf("kill %s (down %s)", s.replica("api", i), down.Round(time.Millisecond))
				if err := s.startAPI(ctx, i); err != nil {
					event += ": " + err.Error()
				}
			} else {
				i := s.killWorker()
				sc.mu.Lock()
				rep.Kills++
				sc.mu.Unlock()
				time.Sleep(down)
				event = fmt.Sprintf("kill %s (down %s)", s.replica("worker", i), down.Round(time.Millisecond))
				if err := s.startWorker(i); err != nil {
					event += ": " + err.Error()
				}
			}
			note(event)
		}
	}()
	go func() { // provider faults, the PG outage, the PostgreSQL and Temporal restarts
		defer wg.Done()
		for n, st := 0, sc.nextFault(); wait(st.Gap); n, st = n+1, sc.nextFault() {
			down, fault := st.Down, st.Fault
			var event string
			switch {
			case s.opts.prod() && (n == restartPostgresAt || n == restartTemporalAt):
				// The prod lane's chaos is replicas killed; the restarts are the dev lane's.
				event = "no restart in prod (replica kills instead)"
			case n == restartPostgresAt:
				event = fmt.Sprintf("restart postgres (down %s)", down.Round(time.Millisecond))
				if err := s.restartPostgres(ctx, down); err != nil {
					event += ": " + err.Error()
				}
				sc.mu.Lock()
				rep.Restarts = append(rep.Restarts, "postgres")
				sc.mu.Unlock()
			case n == restartTemporalAt:
				event = fmt.Sprintf("restart temporal (down %s)", down.Round(time.Millisecond))
				if err := s.restartTemporal(ctx, down); err != nil {
					event += ": " + err.Error()
				}
				sc.mu.Lock()
				rep.Restarts = append(rep.Restarts, "temporal")
				sc.mu.Unlock()
			default:
				set := []providersim.Fault{fault}
				if n == outageAt {
					set = []providersim.Fault{outage}
				} else if pair, ok := ambiguities[n]; ok {
					set = pair
				}
				for i, f := range set {
					if i > 0 {
						event += " + "
					}
					event += fmt.Sprintf("fault %s %s %s x%d", f.Provider, f.Op, f.Mode, f.Count)
					if err := sim.SetFault(ctx, f); err != nil {
						event += ": " + err.Error()
					}
				}
				sc.mu.Lock()
				rep.Faults += len(set)
				sc.mu.Unlock()
			}
			note(event)
		}
	}()
	wg.Wait()
}
