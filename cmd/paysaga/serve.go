package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
)

// exitCode carries a child's exit status out through main.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func asExit(err error, dst *exitCode) bool { return errors.As(err, dst) }

// newLogger writes JSON lines to stderr at the configured level.
func newLogger(level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(os.Stderr).Level(lvl).With().Timestamp().Logger()
}

func runAPI(ctx context.Context, _ []string) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	a, err := app.Start(ctx, cfg, log, app.Parts{API: true, Worker: cfg.EmbedWorker})
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info().Str("addr", cfg.HTTPAddr).Bool("worker", cfg.EmbedWorker).Msg("api serving")
	return a.Serve(ctx)
}

func runWorker(ctx context.Context, _ []string) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	a, err := app.Start(ctx, cfg, log, app.Parts{Worker: true})
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info().Str("task_queue", cfg.TaskQueue).Msg("worker running")
	<-ctx.Done()
	return nil
}

func runSim(ctx context.Context, _ []string) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	return serveSim(ctx, cfg, log)
}

// serveSim serves the provider sandbox on cfg.SimAddr until ctx ends.
func serveSim(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	sim := providersim.New(providersim.Options{PGs: cfg.PGs(), Seed: time.Now().UnixNano(), Logger: log.With().Str("component", "sim").Logger()})
	srv := &http.Server{Addr: cfg.SimAddr, Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info().Str("addr", cfg.SimAddr).Msg("sandbox serving")
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox on %s: %w", cfg.SimAddr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func runMigrate(ctx context.Context, _ []string) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool); err != nil {
		return err
	}
	fmt.Println("migrations applied")
	return nil
}
