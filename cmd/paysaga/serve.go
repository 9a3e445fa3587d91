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
	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
)

// exitCode carries a child's exit status out through main.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func asExit(err error, dst *exitCode) bool { return errors.As(err, dst) }

// newLogger writes JSON lines to stderr at the configured level.
func newLogger(level string) zerolog.Logger { return app.NewLogger(os.Stderr, level) }

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
	log.Info().Str("addr", cfg.HTTPAddr).Bool("worker", cfg.EmbedWorker).Str("codec_addr", cfg.CodecAddr).Msg("api serving")
	// Both servers end with ctx (SIGTERM) or when one fails; wait for both, so
	// the API's drain is not cut short by the codec server returning first.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- a.Serve(ctx) }()
	go func() { errc <- a.ServeCodec(ctx) }()
	first := <-errc
	cancel()
	return errors.Join(first, <-errc)
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
	log.Info().Str("task_queue", cfg.TaskQueue).Str("metrics_addr", cfg.MetricsAddr).Msg("worker running")
	if cfg.MetricsAddr == "" {
		<-ctx.Done()
		return nil
	}
	return serveWorkerMetrics(ctx, a)
}

// serveWorkerMetrics serves /metrics (the SDK's and the business metrics) and
// /healthz for a worker process, which has no API of its own.
func serveWorkerMetrics(ctx context.Context, a *app.App) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	srv := &http.Server{Addr: a.Config.MetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("worker metrics on %s: %w", a.Config.MetricsAddr, err)
	case <-ctx.Done():
		return srv.Close()
	}
}

func runSim(ctx context.Context, _ []string) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	return serveSim(ctx, cfg, log)
}

// simWebhooks is where the sandbox sends webhooks and what it signs them with:
// the original protocol's secret, and each PG's PortOne webhook secret (the
// one paysaga verifies PortOne webhooks of that PG with).
func simWebhooks(cfg config.Config) providersim.WebhookConfig {
	out := providersim.WebhookConfig{URL: cfg.SimWebhookURL, Secret: cfg.PGWebhookSecret, PortOneSecrets: map[string]string{}}
	for _, name := range cfg.PGs() {
		out.PortOneSecrets[name] = cfg.PortOneWebhookSecret(name)
	}
	return out
}

// serveSim serves the provider sandbox on cfg.SimAddr until ctx ends.
func serveSim(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	return serveSimWrapped(ctx, cfg, log, func(h http.Handler) http.Handler { return h })
}

// serveSimWrapped serves the sandbox through wrap (bench -explain counts the
// provider calls with it).
func serveSimWrapped(ctx context.Context, cfg config.Config, log zerolog.Logger, wrap func(http.Handler) http.Handler) error {
	sim := providersim.New(providersim.Options{PGs: cfg.PGs(), Seed: time.Now().UnixNano(), Logger: log.With().Str("component", "sim").Logger(),
		Webhook: simWebhooks(cfg)})
	srv := &http.Server{Addr: cfg.SimAddr, Handler: wrap(sim.Handler()), ReadHeaderTimeout: 5 * time.Second}
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

// runProbe is a health check for images without curl.
func runProbe(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: paysaga probe URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", args[0], res.Status)
	}
	return nil
}

// runCodecKey prints a new payload encryption key for PAYSAGA_CODEC_KEYS.
func runCodecKey(_ context.Context, args []string) error {
	id := fmt.Sprintf("k%d", time.Now().Unix())
	if len(args) > 0 {
		id = args[0]
	}
	fmt.Println(codec.NewKey(id))
	return nil
}

func runMigrate(ctx context.Context, _ []string) error {
	pool, err := openDatabase(ctx)
	if err != nil {
		return err
	}
	pool.Close()
	fmt.Println("migrations applied")
	return nil
}

// openDatabase connects to DATABASE_URL and applies the migrations.
func openDatabase(ctx context.Context) (*pgxpool.Pool, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
