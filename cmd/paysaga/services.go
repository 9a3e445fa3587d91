package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/paysaga/paysaga/bench"
	"github.com/paysaga/paysaga/devstack"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/workflows"
)

// Topologies of the throwaway services.
const (
	// topologyDev: the Temporal dev server (SQLite, one process), as `make dev`.
	topologyDev = "dev"
	// topologyProd: the Temporal server itself on PostgreSQL, its schemas set up
	// by its own SQL tool, as a production cluster runs it.
	topologyProd = "prod"
)

// services are a throwaway PostgreSQL and Temporal (the dev server, or with
// -topology prod the server on PostgreSQL).
type services struct {
	dir      string
	pg       *devstack.Postgres
	temporal *devstack.Temporal       // topology dev
	server   *devstack.TemporalServer // topology prod
	address  string                   // Temporal's frontend, whichever runs
}

// startServices starts the dev topology on free ports, with state in a
// temporary directory and their logs under logDir.
func startServices(ctx context.Context, logDir string) (*services, error) {
	return startServicesOn(ctx, logDir, topologyDev)
}

// startServicesOn starts PostgreSQL and the topology's Temporal.
func startServicesOn(ctx context.Context, logDir, topology string) (*services, error) {
	return startServicesWith(ctx, logDir, topology, durability{})
}

// durability says whether the throwaway services keep what they commit.
type durability struct {
	// on: PostgreSQL syncs its commits (fsync, synchronous_commit, full page
	// writes: paysaga's data and, on the prod topology, Temporal's) and the dev
	// server keeps its history in a SQLite file, as `make dev` runs them. Off,
	// PostgreSQL runs with fsync off and the dev server in memory: fast, and
	// nothing survives a crash.
	on bool
	// sqlite is how the dev server's file commits (devstack.SQLiteMode).
	sqlite devstack.SQLiteMode
}

// startServicesWith is startServicesOn with the durability d.
func startServicesWith(ctx context.Context, logDir, topology string, d durability) (*services, error) {
	if topology != topologyDev && topology != topologyProd {
		return nil, fmt.Errorf("topology %q: want %s or %s", topology, topologyDev, topologyProd)
	}
	s := &services{}
	var err error
	if s.dir, err = os.MkdirTemp("", "paysaga-services-"); err != nil {
		return nil, err
	}
	// PostgreSQL may run as another user (see devstack): let it reach its directory.
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	pgLog, err := os.Create(filepath.Join(logDir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	tLog, err := os.Create(filepath.Join(logDir, "temporal.log"))
	if err != nil {
		return nil, err
	}
	pgPort, err := devstack.FreePort()
	if err != nil {
		return nil, err
	}
	s.pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(s.dir, "postgres"), Port: pgPort, Throwaway: !d.on, Log: pgLog})
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("postgres (log %s): %w", pgLog.Name(), err)
	}
	tPort, err := devstack.FreePort()
	if err != nil {
		s.stop()
		return nil, err
	}
	if topology == topologyProd {
		s.server, err = devstack.StartTemporalServer(ctx, devstack.TemporalServerOptions{
			BinDir: temporalServerDir(), PGAddr: fmt.Sprintf("127.0.0.1:%d", pgPort), PGUser: "paysaga",
			Port: tPort, Dir: filepath.Join(s.dir, "temporal"), SearchAttributes: workflows.SearchAttributeTypes(), Log: tLog,
		})
		if err != nil {
			s.stop()
			return nil, fmt.Errorf("temporal server (log %s): %w", tLog.Name(), err)
		}
		s.address = s.server.Address
		return s, nil
	}
	to := devstack.TemporalOptions{Bin: temporalCLI(), Port: tPort, Log: tLog}
	if d.on {
		to.DBFile, to.SQLite = filepath.Join(s.dir, "temporal.db"), d.sqlite
	}
	s.temporal, err = devstack.StartTemporal(ctx, to)
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("temporal (log %s): %w", tLog.Name(), err)
	}
	s.address = s.temporal.Address
	return s, nil
}

// meters read the services' CPU and writes (the bench's cost per request).
func (s *services) meters() []bench.Meter {
	var ms []bench.Meter
	if s.temporal != nil {
		ms = append(ms, bench.Meter{Name: "temporal", Read: s.temporal.Usage})
	}
	if s.server != nil {
		ms = append(ms, bench.Meter{Name: "temporal", Read: s.server.Usage})
	}
	return append(ms, bench.Meter{Name: "postgres", Read: s.pg.Usage}, bench.SelfMeter)
}

func (s *services) stop() {
	if s.temporal != nil {
		s.temporal.Stop()
	}
	if s.server != nil {
		s.server.Stop()
	}
	if s.pg != nil {
		s.pg.Stop()
	}
	_ = os.RemoveAll(s.dir)
}

// runServices starts the services, runs the command after "--" with their
// addresses in its environment, stops them and exits with the command's status.
func runServices(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("services", flag.ContinueOnError)
	topology := fs.String("topology", topologyDev, "dev: the Temporal dev server; prod: the Temporal server on PostgreSQL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	args = fs.Args()
	if len(args) == 0 {
		return errors.New("usage: paysaga services [-topology dev|prod] -- command [args...]")
	}
	s, err := startServicesOn(ctx, filepath.Join(stateDir(), "services"), *topology)
	if err != nil {
		return err
	}
	defer s.stop()
	fmt.Fprintf(os.Stderr, "services: postgres %s, temporal %s (%s)\n", s.pg.URL, s.address, *topology)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		testenv.DatabaseURLEnv+"="+s.pg.URL,
		testenv.TemporalAddressEnv+"="+s.address,
		testenv.TemporalCLIEnv+"="+temporalCLI(),
		testenv.TemporalServerDirEnv+"="+temporalServerDir(),
	)
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exitCode(exit.ExitCode())
	}
	return err
}

// temporalCLI is the pinned CLI `make tools` builds.
func temporalCLI() string {
	if p := os.Getenv(testenv.TemporalCLIEnv); p != "" {
		return p
	}
	p, _ := filepath.Abs(filepath.Join(".bin", "temporal"))
	return p
}

// temporalServerDir holds the Temporal server, its SQL tool and schema files,
// which `make tools` builds.
func temporalServerDir() string {
	if p := os.Getenv(testenv.TemporalServerDirEnv); p != "" {
		return p
	}
	p, _ := filepath.Abs(".bin")
	return p
}

// stateDir holds what `paysaga dev` keeps between runs, and service logs.
func stateDir() string {
	if d := os.Getenv("PAYSAGA_STATE_DIR"); d != "" {
		return d
	}
	d, _ := filepath.Abs(".paysaga")
	return d
}
