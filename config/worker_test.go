package config

import (
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestWorkerTuningDefaultsKeepTheSDKs(t *testing.T) {
	c, err := Parse(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker != (WorkerTuning{}) {
		t.Fatalf("unset variables changed the tuning: %+v", c.Worker)
	}
}

func TestWorkerTuningParses(t *testing.T) {
	c, err := Parse(envOf(map[string]string{
		"PAYSAGA_WORKER_WORKFLOW_POLLERS":     "4",
		"PAYSAGA_WORKER_ACTIVITY_POLLERS":     "3",
		"PAYSAGA_WORKER_WORKFLOW_SLOTS":       "200",
		"PAYSAGA_WORKER_ACTIVITY_SLOTS":       "300",
		"PAYSAGA_WORKER_LOCAL_ACTIVITY_SLOTS": "400",
		"PAYSAGA_WORKER_STICKY_CACHE":         "5000",
		"PAYSAGA_DB_MAX_CONNS":                "16",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := WorkerTuning{WorkflowPollers: 4, ActivityPollers: 3, WorkflowSlots: 200, ActivitySlots: 300,
		LocalActivitySlots: 400, StickyCacheSize: 5000, DBMaxConns: 16}
	if c.Worker != want {
		t.Fatalf("tuning %+v, want %+v", c.Worker, want)
	}
}

func TestWorkerTuningRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"PAYSAGA_WORKER_WORKFLOW_POLLERS", "1", "must not be 1"},
		{"PAYSAGA_WORKER_WORKFLOW_SLOTS", "1", "must not be 1"},
		{"PAYSAGA_WORKER_ACTIVITY_POLLERS", "-2", "within 0..100"},
		{"PAYSAGA_WORKER_STICKY_CACHE", "100000000", "within 0..1000000"},
		{"PAYSAGA_DB_MAX_CONNS", "5000", "within 0..1000"},
		{"PAYSAGA_DB_MAX_CONNS", "many", "PAYSAGA_DB_MAX_CONNS"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := Parse(envOf(map[string]string{tc.name: tc.value}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
