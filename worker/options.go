package worker

import (
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/paysaga/paysaga/config"
)

// SDKOptions are the worker's options from the config: its tuning (pollers
// and slots; zero keeps the SDK's default) and the bound of a graceful stop.
func SDKOptions(cfg config.Config) sdkworker.Options {
	t := cfg.Worker
	return sdkworker.Options{
		WorkerStopTimeout:                       cfg.WorkerStopTimeout,
		MaxConcurrentWorkflowTaskPollers:        t.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:        t.ActivityPollers,
		MaxConcurrentWorkflowTaskExecutionSize:  t.WorkflowSlots,
		MaxConcurrentActivityExecutionSize:      t.ActivitySlots,
		MaxConcurrentLocalActivityExecutionSize: t.LocalActivitySlots,
	}
}

// SetStickyCache sizes the sticky workflow cache. The SDK keeps one cache per
// process, shared by its workers, and reads its size when the first worker
// starts: call this before. Zero keeps the SDK's default.
func SetStickyCache(t config.WorkerTuning) {
	if t.StickyCacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(t.StickyCacheSize)
	}
}
