// Command paysaga runs every part of paysaga: the API, the worker, the provider
// sandbox, migrations, a whole local stack for development (dev), throwaway
// services for tests (services) and the benchmark (bench).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: paysaga <command> [flags]

commands:
  dev        run everything locally: PostgreSQL, Temporal (+UI), sandbox, worker, API
  api        serve the HTTP API (and a worker, unless PAYSAGA_EMBED_WORKER=false)
  worker     run a Temporal worker only
  sim        serve the provider sandbox
  migrate    apply database migrations and exit
  services   start throwaway PostgreSQL + Temporal, run a command with them (-- cmd args...)
  bench      measure checkouts over HTTP against a bare Temporal workflow (-payouts N: a payout run over N producers)
  payouts    finance CLI: payout schedules, runs, approvals (see paysaga payouts help)
  codec-key  print a new payload encryption key (for PAYSAGA_CODEC_KEYS)
  pii-reseal move every sealed PII value to the active PAYSAGA_PII_SEAL_KEYS key (a workflow; waits for it)
  keys       create, list and revoke API keys (create -role R -name N | list | revoke ID)
  verify     check the invariants: nothing lost, nothing charged twice (exit 1 on a breach)
  chaos      load + worker kills + faults + restarts, then verify (-seed S, -short)
  probe URL  exit 0 when URL answers 2xx (container health checks)

Settings come from the environment (see README.md, "Configuration").
`

var commands = map[string]func(ctx context.Context, args []string) error{
	"dev":        runDev,
	"api":        runAPI,
	"worker":     runWorker,
	"sim":        runSim,
	"migrate":    runMigrate,
	"services":   runServices,
	"bench":      runBench,
	"codec-key":  runCodecKey,
	"probe":      runProbe,
	"keys":       runKeys,
	"payouts":    runPayouts,
	"verify":     runVerify,
	"chaos":      runChaos,
	"pii-reseal": runPIIReseal,
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "paysaga: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[2:]); err != nil {
		var exit exitCode
		if asExit(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintf(os.Stderr, "paysaga %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
