package devstack

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The server's config (a template the server renders itself) and its dynamic
// config, kept in the repository beside this file.
var (
	//go:embed temporal-postgres.yaml
	serverConfig []byte
	//go:embed temporal-dynamic.yaml
	serverDynamicConfig []byte
)

// TemporalServerOptions say how to run the Temporal server itself
// (go.temporal.io/server, pinned in tools/temporal-server) on PostgreSQL: the
// production shape, where the dev server is SQLite in one process.
type TemporalServerOptions struct {
	// BinDir holds what `make tools` builds: temporal-server, temporal-sql-tool
	// and temporal-schema/ (the module's PostgreSQL schema files).
	BinDir string
	PGAddr string // host:port of the PostgreSQL that holds temporal and temporal_visibility
	PGUser string // a role that may create databases
	Port   int    // frontend gRPC; the other services take free ports
	Dir    string // where the rendered settings live (kept for a restart)
	Shards int    // history shards; 4 unless set (fixed once the schema holds data)
	// SearchAttributes are registered on the default namespace before Start returns.
	SearchAttributes map[string]enumspb.IndexedValueType
	Log              io.Writer
}

// TemporalServer is a running Temporal server on PostgreSQL.
type TemporalServer struct {
	Address string
	opts    TemporalServerOptions
	env     []string
	proc    *process
}

// Names of the binaries and the schema directory under BinDir.
const (
	TemporalServerBin = "temporal-server"
	TemporalSQLTool   = "temporal-sql-tool"
	TemporalSchemaDir = "temporal-schema"
)

// StartTemporalServer creates and migrates the two schemas with the server's
// own SQL tool, starts the server on them, registers the default namespace and
// the search attributes, and returns once the namespace answers.
func StartTemporalServer(ctx context.Context, o TemporalServerOptions) (*TemporalServer, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Shards == 0 {
		o.Shards = 4
	}
	for _, name := range []string{TemporalServerBin, TemporalSQLTool, TemporalSchemaDir} {
		if _, err := os.Stat(filepath.Join(o.BinDir, name)); err != nil {
			return nil, fmt.Errorf("temporal server on postgres needs %s (make tools): %w", name, err)
		}
	}
	if err := setupTemporalSchemas(ctx, o); err != nil {
		return nil, err
	}
	t, err := newTemporalServer(o)
	if err != nil {
		return nil, err
	}
	if err := t.start(ctx); err != nil {
		return nil, err
	}
	if err := t.register(ctx); err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// newTemporalServer writes the settings and picks the ports, once: a restart
// reuses them, as a redeployed pod keeps its service address.
func newTemporalServer(o TemporalServerOptions) (*TemporalServer, error) {
	if err := ensureDir(o.Dir); err != nil {
		return nil, err
	}
	cfg, dyn := filepath.Join(o.Dir, "temporal-postgres.yaml"), filepath.Join(o.Dir, "temporal-dynamic.yaml")
	if err := os.WriteFile(cfg, serverConfig, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(dyn, serverDynamicConfig, 0o644); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"TEMPORAL_PG_ADDR="+o.PGAddr, "TEMPORAL_PG_USER="+o.PGUser,
		"TEMPORAL_DYNAMIC_CONFIG="+dyn, fmt.Sprintf("TEMPORAL_HISTORY_SHARDS=%d", o.Shards),
		fmt.Sprintf("TEMPORAL_FRONTEND_PORT=%d", o.Port))
	for _, name := range []string{"FRONTEND_MEMBERSHIP", "FRONTEND_HTTP", "MATCHING", "MATCHING_MEMBERSHIP",
		"HISTORY", "HISTORY_MEMBERSHIP", "WORKER", "WORKER_MEMBERSHIP"} {
		p, err := lowFreePort()
		if err != nil {
			return nil, err
		}
		env = append(env, fmt.Sprintf("TEMPORAL_%s_PORT=%d", name, p))
	}
	return &TemporalServer{Address: fmt.Sprintf("127.0.0.1:%d", o.Port), opts: o, env: env}, nil
}

func (t *TemporalServer) start(ctx context.Context) error {
	cmd := exec.Command(filepath.Join(t.opts.BinDir, TemporalServerBin),
		"--config-file", filepath.Join(t.opts.Dir, "temporal-postgres.yaml"), "--allow-no-auth", "start")
	cmd.Env = t.env
	p, err := start("temporal-server", cmd, t.opts.Log)
	if err != nil {
		return err
	}
	t.proc = p
	// Four services join their ring and acquire shards: slower than the dev server.
	err = waitFor(ctx, p, 2*time.Minute, func(ctx context.Context) error {
		c, err := client.DialContext(ctx, client.Options{HostPort: t.Address, Logger: quietLogger{}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	})
	if err != nil {
		t.Stop()
		return err
	}
	return nil
}

// Restart stops the server and starts it again on the same schemas and ports.
func (t *TemporalServer) Restart(ctx context.Context, down time.Duration) error {
	t.Stop()
	time.Sleep(down)
	if err := t.start(ctx); err != nil {
		return err
	}
	return waitFor(ctx, t.proc, time.Minute, func(ctx context.Context) error { return namespaceReady(ctx, t.Address) })
}

// Stop ends the server (SIGINT: it leaves its rings and hands back shards).
func (t *TemporalServer) Stop() { t.proc.stop(20 * time.Second) }

// register creates the default namespace (the dev server has it built in) and
// the search attributes, then waits until the namespace serves.
func (t *TemporalServer) register(ctx context.Context) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: t.Address, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: "default", WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace default: %w", err)
	}
	if err := waitFor(ctx, t.proc, time.Minute, func(ctx context.Context) error { return namespaceReady(ctx, t.Address) }); err != nil {
		return err
	}
	if len(t.opts.SearchAttributes) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: "default", SearchAttributes: t.opts.SearchAttributes,
	})
	var saExists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &saExists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

// setupTemporalSchemas runs the server's SQL tool as a deployment's schema job
// does: create each database, set up the base schema, apply every versioned
// migration shipped with the pinned module. Re-running it only migrates.
func setupTemporalSchemas(ctx context.Context, o TemporalServerOptions) error {
	host, port, err := splitHostPort(o.PGAddr)
	if err != nil {
		return err
	}
	for _, s := range []struct{ db, dir string }{{"temporal", "temporal"}, {"temporal_visibility", "visibility"}} {
		base := []string{"--plugin", "postgres12", "--ep", host, "-p", port, "-u", o.PGUser, "--db", s.db}
		steps := [][]string{
			{"create-database"},
			{"setup-schema", "-v", "0.0"},
			{"update-schema", "-d", filepath.Join(o.BinDir, TemporalSchemaDir, s.dir, "versioned")},
		}
		for _, step := range steps {
			cmd := exec.CommandContext(ctx, filepath.Join(o.BinDir, TemporalSQLTool), append(base, step...)...)
			out, err := cmd.CombinedOutput()
			if err != nil && !alreadyDone(step[0], out) {
				return fmt.Errorf("temporal-sql-tool %s %s: %w\n%s", s.db, step[0], err, out)
			}
			_, _ = o.Log.Write(out)
		}
	}
	return nil
}

// alreadyDone: a database or base schema left by an earlier run of the same
// directory, which the next step migrates.
func alreadyDone(step string, out []byte) bool {
	return (step == "create-database" || step == "setup-schema") && bytes.Contains(out, []byte("already exists"))
}

func splitHostPort(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("postgres address %q: %w", addr, err)
	}
	return host, port, nil
}

// lowFreePort is a free port below 32768: the server stores membership ports
// in a smallint column, and the kernel's ephemeral ports lie above it.
func lowFreePort() (int, error) {
	for range 200 {
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = l.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port in 20000..32000")
}
