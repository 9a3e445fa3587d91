package workflows

import "go.temporal.io/sdk/workflow"

// saga collects compensations as steps succeed and runs them in reverse when a
// later step fails. Each compensation carries its own idempotency key.
type saga struct {
	steps []compensation
}

type compensation struct {
	name string
	run  func(ctx workflow.Context) error
}

func (s *saga) add(name string, run func(ctx workflow.Context) error) {
	s.steps = append(s.steps, compensation{name: name, run: run})
}

// drop removes the compensation of a step that no longer needs undoing.
func (s *saga) drop(name string) {
	kept := s.steps[:0]
	for _, c := range s.steps {
		if c.name != name {
			kept = append(kept, c)
		}
	}
	s.steps = kept
}

// compensate runs every compensation, newest first, in a disconnected context so
// it also runs when the workflow is cancelled. It returns the names of those that
// failed for good; a failure does not stop the others.
func (s *saga) compensate(ctx workflow.Context) (failed []string) {
	cctx := compensationCtx(ctx)
	for i := len(s.steps) - 1; i >= 0; i-- {
		step := s.steps[i]
		if err := step.run(cctx); err != nil {
			workflow.GetLogger(ctx).Error("compensation failed", "step", step.name, "error", err)
			failed = append(failed, step.name)
		}
	}
	return failed
}

// disconnected returns a context that is not cancelled with the workflow, for
// the writes that record how it ended.
func disconnected(ctx workflow.Context) workflow.Context {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return dctx
}
