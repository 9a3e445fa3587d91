package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/worker"
	"github.com/paysaga/paysaga/workflows"
)

// runPIIReseal starts the re-sealing workflow for this process's active PII
// sealing key (PAYSAGA_PII_SEAL_KEYS) and waits for it: every sealed row moves
// to that key; exit 1 when some value is still under another key.
func runPIIReseal(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pii-reseal", flag.ContinueOnError)
	batch := fs.Int("batch", 200, "rows per batch (one transaction each)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	a, err := app.Start(ctx, cfg, newLogger(cfg.LogLevel), app.Parts{})
	if err != nil {
		return err
	}
	defer a.Close()
	run, err := worker.StartPIIReseal(ctx, a.Temporal, cfg.TaskQueue, a.PII.ActiveID(), *batch, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "re-sealing under %q: workflow %s (the workers run it)\n", a.PII.ActiveID(), run.GetID())
	var totals workflows.PIIResealTotals
	if err := run.Get(ctx, &totals); err != nil {
		return fmt.Errorf("%s: %w", run.GetID(), err)
	}
	fmt.Printf("scanned %d rows, re-sealed %d values, still under another key: %v\n", totals.Scanned, totals.Resealed, totals.Stale)
	for _, n := range totals.Stale {
		if n > 0 {
			return exitCode(1)
		}
	}
	return nil
}
