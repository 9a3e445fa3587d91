package config

import (
	"errors"
	"fmt"
	"strconv"
)

// WorkerTuning sizes the Temporal worker and paysaga's pgx pool (issue 19).
// Zero keeps the SDK's (or pgx's) own default, written beside each field;
// README "Worker and pool options" has the measurements behind the defaults.
type WorkerTuning struct {
	WorkflowPollers    int // PAYSAGA_WORKER_WORKFLOW_POLLERS: workflow task pollers (SDK: 2; never 1)
	ActivityPollers    int // PAYSAGA_WORKER_ACTIVITY_POLLERS: activity task pollers (SDK: 2)
	WorkflowSlots      int // PAYSAGA_WORKER_WORKFLOW_SLOTS: workflow tasks run at once (SDK: 1000; never 1)
	ActivitySlots      int // PAYSAGA_WORKER_ACTIVITY_SLOTS: activities run at once (SDK: 1000)
	LocalActivitySlots int // PAYSAGA_WORKER_LOCAL_ACTIVITY_SLOTS: local activities run at once (SDK: 1000)
	// StickyCacheSize (PAYSAGA_WORKER_STICKY_CACHE): workflows a process keeps
	// in memory between their tasks, shared by its workers (SDK: 10000).
	StickyCacheSize int
	// DBMaxConns (PAYSAGA_DB_MAX_CONNS): the pgx pool's size, API and worker
	// together; 0 keeps DATABASE_URL's pool_max_conns, else pgx's max(4, CPUs).
	DBMaxConns int
}

// workerTuningVars name WorkerTuning's variables, each with its field and the
// largest value it takes (a typo of a few zeros should stop start-up).
func workerTuningVars(t *WorkerTuning) []struct {
	name string
	dst  *int
	max  int
} {
	return []struct {
		name string
		dst  *int
		max  int
	}{
		{"PAYSAGA_WORKER_WORKFLOW_POLLERS", &t.WorkflowPollers, 100},
		{"PAYSAGA_WORKER_ACTIVITY_POLLERS", &t.ActivityPollers, 100},
		{"PAYSAGA_WORKER_WORKFLOW_SLOTS", &t.WorkflowSlots, 100_000},
		{"PAYSAGA_WORKER_ACTIVITY_SLOTS", &t.ActivitySlots, 100_000},
		{"PAYSAGA_WORKER_LOCAL_ACTIVITY_SLOTS", &t.LocalActivitySlots, 100_000},
		{"PAYSAGA_WORKER_STICKY_CACHE", &t.StickyCacheSize, 1_000_000},
		{"PAYSAGA_DB_MAX_CONNS", &t.DBMaxConns, 1000},
	}
}

// parseWorkerTuning reads the variables that are set over t.
func parseWorkerTuning(getenv func(string) string, t *WorkerTuning) []error {
	var errs []error
	for _, v := range workerTuningVars(t) {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
			continue
		}
		*v.dst = n
	}
	return errs
}

// Validate reports every value the SDK or pgx would refuse, or that is out of
// range.
func (t WorkerTuning) Validate() error {
	var errs []error
	for _, v := range workerTuningVars(&t) {
		if *v.dst < 0 || *v.dst > v.max {
			errs = append(errs, fmt.Errorf("%s=%d: must be within 0..%d (0 keeps the default)", v.name, *v.dst, v.max))
		}
	}
	// With one poller or one slot a worker would poll only its sticky queue
	// and never pick up a new workflow (the SDK panics on it).
	if t.WorkflowPollers == 1 {
		errs = append(errs, errors.New("PAYSAGA_WORKER_WORKFLOW_POLLERS must not be 1 (0 keeps the default, or 2 and more)"))
	}
	if t.WorkflowSlots == 1 {
		errs = append(errs, errors.New("PAYSAGA_WORKER_WORKFLOW_SLOTS must not be 1 (0 keeps the default, or 2 and more)"))
	}
	return errors.Join(errs...)
}
