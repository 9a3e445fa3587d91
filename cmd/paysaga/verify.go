package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/verify"
)

// runVerify checks the invariants (package verify) against DATABASE_URL, the
// sandbox at PAYSAGA_SIM_URL and Temporal; it exits 1 on any breach.
func runVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	minAge := fs.Duration("min-age", time.Minute, "a workflow started longer ago than this must have ended")
	all := fs.Bool("all-queues", false, "check workflows of every task queue, not only PAYSAGA_TASK_QUEUE")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	report, err := verifyStack(ctx, cfg, *minAge, *all)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		fmt.Print(report)
	}
	if !report.OK() {
		fmt.Fprintln(os.Stderr, "verify: invariants breached")
		return exitCode(1)
	}
	fmt.Fprintln(os.Stderr, "verify: every invariant holds")
	return nil
}

// verifyStack runs the checks against the stack cfg describes.
func verifyStack(ctx context.Context, cfg config.Config, minAge time.Duration, allQueues bool) (verify.Report, error) {
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return verify.Report{}, err
	}
	defer pool.Close()
	tc, err := client.DialContext(ctx, client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, Logger: quietLogger{}})
	if err != nil {
		return verify.Report{}, fmt.Errorf("temporal at %s: %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()
	src := verify.Sources{Pool: pool, Sim: providersim.NewAdminClient(cfg.SimURL, nil), Temporal: tc,
		Namespace: cfg.TemporalNamespace, TaskQueue: cfg.TaskQueue, MinAge: minAge, CashReceiptAt: cfg.CashReceiptAt}
	if allQueues {
		src.TaskQueue = ""
	}
	return verify.Run(ctx, src)
}

// quietLogger keeps the SDK's connection chatter out of the report.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
