// Package app assembles paysaga's running parts from a Config: the PostgreSQL
// pool (migrated), the Temporal client, the worker and the HTTP API. The
// commands (api, worker, dev, bench) and the end-to-end tests all start paysaga
// through it, so what is tested is what runs.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/console"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/deliveryloop"
	"github.com/paysaga/paysaga/metrics"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/worker"
)

// Parts says which parts to run in this process.
type Parts struct {
	API    bool
	Worker bool
	// DBTracer, when set, sees every statement of the pool (bench -explain
	// counts round trips and transactions with it).
	DBTracer pgx.QueryTracer
}

// App is a started paysaga.
type App struct {
	Config   config.Config
	Log      zerolog.Logger
	Pool     *pgxpool.Pool
	Temporal client.Client
	Worker   sdkworker.Worker // nil unless Parts.Worker
	HTTP     *echo.Echo       // nil unless Parts.API
	Codec    *codec.Encryption
	Metrics  *metrics.Metrics
	PII      *pii.Keys // seals account numbers, hashes CI/DI

	stopRelay func() // stops the outbox relay and waits for it; nil without a worker
	draining  atomic.Bool
}

// newCodec builds the payload encryption every history payload goes through.
func newCodec(cfg config.Config) (*codec.Encryption, error) {
	if cfg.CodecKeys == "" {
		return nil, errors.New("PAYSAGA_CODEC_KEYS is empty: payloads must be encrypted (make a key with `paysaga codec-key`)")
	}
	keys, err := codec.ParseKeys(cfg.CodecKeys)
	if err != nil {
		return nil, fmt.Errorf("PAYSAGA_CODEC_KEYS: %w", err)
	}
	return codec.New(keys)
}

// ServeCodec runs the codec server on cfg.CodecAddr until ctx ends; a no-op
// when it is disabled.
func (a *App) ServeCodec(ctx context.Context) error {
	if a.Config.CodecAddr == "" {
		<-ctx.Done()
		return nil
	}
	srv := &http.Server{Addr: a.Config.CodecAddr, Handler: codec.Server(a.Codec, a.Config.CodecOrigins), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("codec server on %s: %w", a.Config.CodecAddr, err)
	case <-ctx.Done():
		return srv.Close()
	}
}

// Start connects to PostgreSQL (applying migrations) and Temporal (registering
// search attributes), then starts the worker if asked. Serve the API with Serve.
func Start(ctx context.Context, cfg config.Config, logger zerolog.Logger, parts Parts) (*App, error) {
	a := &App{Config: cfg, Log: logger, Metrics: metrics.New()}
	var err error
	if a.Pool, err = newPool(ctx, cfg.DatabaseURL, cfg.Worker.DBMaxConns, parts.DBTracer); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, a.Pool); err != nil {
		a.Close()
		return nil, err
	}
	a.Metrics.WatchStore(a.Pool)
	if a.PII, err = cfg.PIIKeys(); err != nil {
		a.Close()
		return nil, fmt.Errorf("PAYSAGA_PII_KEY/PAYSAGA_PII_SEAL_KEYS: %w", err)
	}
	if a.Codec, err = newCodec(cfg); err != nil {
		a.Close()
		return nil, err
	}
	dc := codec.DataConverter(a.Codec)
	conn, creds, err := temporalConnection(cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Temporal, err = client.DialContext(ctx, client.Options{
		ConnectionOptions: conn,
		Credentials:       creds,
		HostPort:          cfg.TemporalAddress,
		Namespace:         cfg.TemporalNamespace,
		Logger:            log.NewStructuredLogger(slogFor(logger)),
		DataConverter:     dc,
		FailureConverter:  codec.FailureConverter(dc),
		MetricsHandler:    a.Metrics.Temporal(),
	})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("temporal at %s: %w", cfg.TemporalAddress, err)
	}
	if err := worker.RegisterSearchAttributes(ctx, a.Temporal, cfg.TemporalNamespace); err != nil {
		a.Close()
		return nil, err
	}
	if parts.Worker {
		// Billing keys stored in clear before they were sealed: seal them now.
		n, err := activities.SealBillingKeys(ctx, a.Pool, a.PII)
		if err != nil {
			a.Close()
			return nil, err
		}
		if n > 0 {
			logger.Info().Int("billing_keys", n).Msg("sealed billing keys stored in clear")
		}
		// A stop (SIGTERM on a deploy) stops polling at once and lets in-flight
		// activities finish within the bound; past it they are cancelled and
		// Temporal retries them on another worker (same idempotency keys).
		// Pollers, slots and the sticky cache as configured (issue 19).
		worker.SetStickyCache(cfg.Worker)
		a.Worker = worker.NewWithOptions(a.Temporal, cfg.TaskQueue, worker.NewActivities(cfg, a.Pool), worker.SDKOptions(cfg))
		if err := a.Worker.Start(); err != nil {
			a.Close()
			return nil, fmt.Errorf("start worker: %w", err)
		}
		a.startRelay()
		if err := worker.EnsureReconSchedule(ctx, a.Temporal, cfg); err != nil {
			a.Close()
			return nil, err
		}
		if err := worker.EnsureDeadlineSchedule(ctx, a.Temporal, cfg); err != nil {
			a.Close()
			return nil, err
		}
		if err := worker.EnsurePointsExpirySchedule(ctx, a.Temporal, cfg); err != nil {
			a.Close()
			return nil, err
		}
		if err := worker.EnsureSafeguardingSchedule(ctx, a.Temporal, cfg); err != nil {
			a.Close()
			return nil, err
		}
	}
	if parts.API {
		hc := &http.Client{Timeout: cfg.ProviderTimeout}
		bankc := bank.NewHTTPClient(cfg.SimURL+"/bank", hc)
		pgs := map[string]pg.Client{}
		for _, name := range cfg.PGs() {
			pgs[name] = worker.NewPGClient(cfg, name, hc)
		}
		a.HTTP = api.New(api.Deps{Draining: a.draining.Load, PGs: pgs, Config: cfg, Pool: a.Pool, Queries: db.New(a.Pool), Temporal: a.Temporal, Log: logger, Metrics: a.Metrics, DataConverter: dc, Bank: bankc, PII: a.PII})
		// The console calls the API above in-process, with the signed-in key.
		err := console.Mount(a.HTTP, console.Deps{API: a.HTTP, Queries: db.New(a.Pool), Keys: a.PII, Log: logger, IdleTimeout: cfg.ConsoleIdleTimeout})
		if err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// newPool opens the pool lazily (no connection yet); maxConns > 0 sizes it
// over DATABASE_URL's pool_max_conns (PAYSAGA_DB_MAX_CONNS).
func newPool(ctx context.Context, url string, maxConns int, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if maxConns > 0 {
		pc.MaxConns = int32(maxConns) // bounded by config.WorkerTuning.Validate
	}
	pc.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return pool, nil
}

// Serve runs the HTTP API on cfg.HTTPAddr until ctx ends, then drains it:
// /readyz answers 503 for cfg.DrainDelay while everything else is still served
// (the load balancer stops sending new requests), then the listener closes and
// in-flight requests get the checkout budget to answer (a checkout past it
// answers 202 on its own), plus a margin.
func (a *App) Serve(ctx context.Context) error {
	srv := &http.Server{
		Addr:              a.Config.HTTPAddr,
		Handler:           a.HTTP,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      a.Config.CheckoutBudget + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("http on %s: %w", a.Config.HTTPAddr, err)
	case <-ctx.Done():
	}
	a.draining.Store(true)
	a.Log.Info().Dur("drain_delay", a.Config.DrainDelay).Msg("api draining: not ready")
	time.Sleep(a.Config.DrainDelay)
	shutdown, cancel := context.WithTimeout(context.Background(), a.Config.CheckoutBudget+2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startRelay runs the outbox relay beside the worker: events written with a
// state change wake their endpoints' delivery loops.
func (a *App) startRelay() {
	cfg := a.Config
	r := &worker.Relay{
		Pool: a.Pool, Temporal: a.Temporal, TaskQueue: cfg.TaskQueue, Interval: cfg.EventPollInterval, Log: a.Log,
		Delivery: deliveryloop.Settings(cfg),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	a.stopRelay = func() { cancel(); <-done }
}

// Close stops the relay and the worker and closes the clients, in that order.
func (a *App) Close() {
	if a.stopRelay != nil {
		a.stopRelay()
	}
	if a.Worker != nil {
		a.Worker.Stop()
	}
	if a.Temporal != nil {
		a.Temporal.Close()
	}
	if a.Pool != nil {
		a.Pool.Close()
	}
}

// temporalConnection is how the client reaches a Temporal that is not on
// loopback: mTLS with a client certificate (self-hosted or Temporal Cloud), or
// Temporal Cloud's API key over TLS. Neither set: plain gRPC, as in make dev.
func temporalConnection(cfg config.Config) (client.ConnectionOptions, client.Credentials, error) {
	var conn client.ConnectionOptions
	var creds client.Credentials
	if cfg.TemporalTLSCert == "" && cfg.TemporalAPIKey == "" && cfg.TemporalTLSCA == "" {
		return conn, nil, nil
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TemporalTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return conn, nil, fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	if cfg.TemporalTLSCA != "" {
		pem, err := os.ReadFile(cfg.TemporalTLSCA)
		if err != nil {
			return conn, nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return conn, nil, fmt.Errorf("TEMPORAL_TLS_CA %s: no certificate in it", cfg.TemporalTLSCA)
		}
		tlsCfg.RootCAs = pool
	}
	conn.TLS = tlsCfg
	if cfg.TemporalAPIKey != "" {
		creds = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return conn, creds, nil
}
