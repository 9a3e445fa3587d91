package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/paysaga/paysaga/chaos"
)

// runChaos runs the load and chaos harness (package chaos) on its own throwaway
// stack and exits 1 unless verify passes.
func runChaos(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	seed := fs.Int64("seed", time.Now().UnixNano()%1_000_000, "seed of the workload and the fault schedule (same seed, same schedule)")
	short := fs.Bool("short", false, "the short run make test does")
	dir := fs.String("dir", "", "state and logs (default .paysaga/chaos-<seed>)")
	report := fs.String("report", "", "also write the report as JSON to this file")
	topology := fs.String("topology", topologyDev, "dev: one API and one worker on the Temporal dev server; prod: two of each on the Temporal server on PostgreSQL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		*dir = filepath.Join(stateDir(), fmt.Sprintf("chaos-%d", *seed))
	}
	_ = os.RemoveAll(*dir)
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	rep, err := chaos.Run(ctx, chaos.Options{Seed: *seed, Short: *short, Bin: bin, TemporalCLI: temporalCLI(),
		Topology: *topology, TemporalServerDir: temporalServerDir(), Dir: *dir, Out: os.Stderr})
	if err != nil {
		return fmt.Errorf("seed %d: %w", *seed, err)
	}
	fmt.Print(rep)
	if *report != "" {
		if err := os.WriteFile(*report, rep.JSON(), 0o644); err != nil {
			return err
		}
	}
	if !rep.OK() {
		fmt.Fprintf(os.Stderr, "chaos: seed %d FAILED (logs in %s)\n", *seed, *dir)
		return exitCode(1)
	}
	fmt.Fprintf(os.Stderr, "chaos: seed %d passed\n", *seed)
	return nil
}
