package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/paysaga/paysaga/devstack"
	"github.com/paysaga/paysaga/testenv"
)

// services are a throwaway PostgreSQL and Temporal dev server.
type services struct {
	dir      string
	pg       *devstack.Postgres
	temporal *devstack.Temporal
}

// startServices starts both on free ports, with state in a temporary directory
// and their logs under logDir.
func startServices(ctx context.Context, logDir string) (*services, error) {
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
	s.pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(s.dir, "postgres"), Port: pgPort, Throwaway: true, Log: pgLog})
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("postgres (log %s): %w", pgLog.Name(), err)
	}
	tPort, err := devstack.FreePort()
	if err != nil {
		s.stop()
		return nil, err
	}
	s.temporal, err = devstack.StartTemporal(ctx, devstack.TemporalOptions{Bin: temporalCLI(), Port: tPort, Log: tLog})
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("temporal (log %s): %w", tLog.Name(), err)
	}
	return s, nil
}

func (s *services) stop() {
	if s.temporal != nil {
		s.temporal.Stop()
	}
	if s.pg != nil {
		s.pg.Stop()
	}
	_ = os.RemoveAll(s.dir)
}

// runServices starts the services, runs the command after "--" with their
// addresses in its environment, stops them and exits with the command's status.
func runServices(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: paysaga services -- command [args...]")
	}
	s, err := startServices(ctx, filepath.Join(stateDir(), "services"))
	if err != nil {
		return err
	}
	defer s.stop()
	fmt.Fprintf(os.Stderr, "services: postgres %s, temporal %s\n", s.pg.URL, s.temporal.Address)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		testenv.DatabaseURLEnv+"="+s.pg.URL,
		testenv.TemporalAddressEnv+"="+s.temporal.Address,
		testenv.TemporalCLIEnv+"="+temporalCLI(),
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

// stateDir holds what `paysaga dev` keeps between runs, and service logs.
func stateDir() string {
	if d := os.Getenv("PAYSAGA_STATE_DIR"); d != "" {
		return d
	}
	d, _ := filepath.Abs(".paysaga")
	return d
}
