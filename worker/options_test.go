package worker

import (
	"testing"
	"time"

	"github.com/paysaga/paysaga/config"
)

// The configured tuning reaches the SDK's options field by field; zero stays
// zero, which the SDK reads as its own default.
func TestSDKOptionsCarryTheTuning(t *testing.T) {
	cfg := config.Default()
	cfg.WorkerStopTimeout = 7 * time.Second
	cfg.Worker = config.WorkerTuning{WorkflowPollers: 4, ActivityPollers: 3, WorkflowSlots: 200, ActivitySlots: 300, LocalActivitySlots: 400}
	o := SDKOptions(cfg)
	got := []int{o.MaxConcurrentWorkflowTaskPollers, o.MaxConcurrentActivityTaskPollers,
		o.MaxConcurrentWorkflowTaskExecutionSize, o.MaxConcurrentActivityExecutionSize, o.MaxConcurrentLocalActivityExecutionSize}
	want := []int{4, 3, 200, 300, 400}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("options %v, want %v", got, want)
		}
	}
	if o.WorkerStopTimeout != 7*time.Second {
		t.Fatalf("stop timeout %s, want 7s", o.WorkerStopTimeout)
	}
	if d := SDKOptions(config.Default()); d.MaxConcurrentWorkflowTaskPollers != 0 || d.MaxConcurrentLocalActivityExecutionSize != 0 {
		t.Fatalf("default tuning set SDK options: %+v", d)
	}
}
