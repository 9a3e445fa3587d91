package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/devstack"
)

// Development API keys, one per role. Only `paysaga dev` creates them; override
// with PAYSAGA_DEV_{APP,FINANCE,OPS}_KEY.
var devKeys = []struct{ role, env, def string }{
	{"app", "PAYSAGA_DEV_APP_KEY", "dev-app-key"},
	{"finance", "PAYSAGA_DEV_FINANCE_KEY", "dev-finance-key"},
	{"ops", "PAYSAGA_DEV_OPS_KEY", "dev-ops-key"},
}

// runDev starts the whole stack in this process tree, keeping data under
// .paysaga/ so a second run finds it; Ctrl-C stops everything.
func runDev(ctx context.Context, _ []string) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	state := stateDir()
	logs := filepath.Join(state, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	if _, set := os.LookupEnv("PAYSAGA_WEBHOOK_ALLOW_INTERNAL"); !set {
		cfg.WebhookAllowInternal = true // a developer's app listens on localhost
	}
	if cfg.CodecKeys == "" {
		if cfg.CodecKeys, err = devCodecKeys(state); err != nil {
			return err
		}
	}
	if _, set := os.LookupEnv("DATABASE_URL"); !set {
		pg, err := startDevPostgres(ctx, state, logs)
		if err != nil {
			return err
		}
		defer pg.Stop()
		cfg.DatabaseURL = pg.URL
	}
	uiURL := "(TEMPORAL_ADDRESS is set: use that server's UI)"
	if _, set := os.LookupEnv("TEMPORAL_ADDRESS"); !set {
		t, err := startDevTemporal(ctx, cfg.TemporalAddress, codecURL(cfg), state, logs)
		if err != nil {
			return err
		}
		defer t.Stop()
		uiURL = t.UIURL
	}
	simErr := make(chan error, 1)
	go func() { simErr <- serveSim(ctx, cfg, log) }()

	a, err := app.Start(ctx, cfg, log, app.Parts{API: true, Worker: true})
	if err != nil {
		return err
	}
	defer a.Close()
	keys, err := ensureDevKeys(ctx, a)
	if err != nil {
		return err
	}
	printBanner(cfg, uiURL, keys, logs)
	serveErr := make(chan error, 2)
	go func() { serveErr <- a.Serve(ctx) }()
	go func() { serveErr <- a.ServeCodec(ctx) }()
	select {
	case err := <-simErr:
		return err
	case err := <-serveErr:
		return err
	}
}

func startDevPostgres(ctx context.Context, state, logs string) (*devstack.Postgres, error) {
	f, err := os.OpenFile(filepath.Join(logs, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(state, "postgres"), Port: 55432, Log: f})
	if err != nil {
		return nil, fmt.Errorf("postgres (log %s): %w", f.Name(), err)
	}
	return pg, nil
}

func startDevTemporal(ctx context.Context, address, codecEndpoint, state, logs string) (*devstack.Temporal, error) {
	_, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_ADDRESS %q: %w", address, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_ADDRESS %q: %w", address, err)
	}
	f, err := os.OpenFile(filepath.Join(logs, "temporal.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		Bin: temporalCLI(), Port: port, UIPort: port + 1000, DBFile: filepath.Join(state, "temporal.db"), Log: f,
		SQLite:        devstack.SQLiteDurable, // WAL, synced at every commit: as safe as SQLite's default, at a fraction of its I/O
		CodecEndpoint: codecEndpoint,
	})
	if err != nil {
		return nil, fmt.Errorf("temporal (log %s): %w", f.Name(), err)
	}
	return t, nil
}

func ensureDevKeys(ctx context.Context, a *app.App) (map[string]string, error) {
	q := db.New(a.Pool)
	keys := map[string]string{}
	for _, k := range devKeys {
		key := k.def
		if v := os.Getenv(k.env); v != "" {
			key = v
		}
		if err := api.EnsureAPIKey(ctx, q, k.role, "dev "+k.role, key); err != nil {
			return nil, fmt.Errorf("bootstrap %s key: %w", k.role, err)
		}
		keys[k.role] = key
	}
	return keys, nil
}

func printBanner(cfg config.Config, uiURL string, keys map[string]string, logs string) {
	host := cfg.HTTPAddr
	if h, p, err := net.SplitHostPort(host); err == nil && (h == "" || h == "0.0.0.0") {
		host = "localhost:" + p
	}
	fmt.Fprintf(os.Stderr, `
paysaga dev is running (Ctrl-C stops everything)
  API          http://%s
  Temporal UI  %s  (payloads decoded by the codec server %s)
  sandbox      %s
  API keys     app=%s  finance=%s  ops=%s
  logs         %s

`, host, uiURL, codecURL(cfg), cfg.SimURL, keys["app"], keys["finance"], keys["ops"], logs)
}

// devCodecKeys keeps a generated payload key in .paysaga/codec-keys, so the
// histories a previous run wrote stay readable.
func devCodecKeys(state string) (string, error) {
	path := filepath.Join(state, "codec-keys")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	keys := codec.NewKey("dev1")
	if err := os.WriteFile(path, []byte(keys+"\n"), 0o600); err != nil {
		return "", err
	}
	return keys, nil
}

// codecURL is the codec server's address as the browser reaches it.
func codecURL(cfg config.Config) string {
	if cfg.CodecAddr == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(cfg.CodecAddr)
	if err != nil {
		return ""
	}
	return "http://localhost:" + port
}
