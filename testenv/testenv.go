// Package testenv hands tests the real services `make test` starts (through
// `paysaga services`): a fresh PostgreSQL database per test and the Temporal dev
// server's address. Tests that need them fail, never skip, when they are
// missing, so a green run always means they ran.
package testenv

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
)

// Variables `paysaga services` exports to the command it runs.
const (
	DatabaseURLEnv     = "PAYSAGA_TEST_DATABASE_URL"
	TemporalAddressEnv = "PAYSAGA_TEST_TEMPORAL_ADDRESS"
	TemporalCLIEnv     = "PAYSAGA_TEMPORAL_CLI"
	// TemporalServerDirEnv is the directory holding the Temporal server on
	// PostgreSQL (temporal-server, temporal-sql-tool, temporal-schema/).
	TemporalServerDirEnv = "PAYSAGA_TEMPORAL_SERVER_DIR"
)

func require(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run `make test`, or `go run ./cmd/paysaga services -- go test ./...`", name)
	}
	return v
}

// Database creates an empty database for this test, dropped when it ends, and
// returns its URL.
func Database(t testing.TB) string {
	t.Helper()
	base := require(t, DatabaseURLEnv)
	name := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	exec(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, base, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", DatabaseURLEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Pool is a migrated fresh database for this test.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// TemporalAddress is the test Temporal server's frontend.
func TemporalAddress(t testing.TB) string {
	t.Helper()
	return require(t, TemporalAddressEnv)
}

// TemporalServerDir is where `make tools` put the Temporal server on PostgreSQL.
func TemporalServerDir(t testing.TB) string {
	t.Helper()
	return require(t, TemporalServerDirEnv)
}

// TemporalCLI is the path of the pinned temporal CLI.
func TemporalCLI(t testing.TB) string {
	t.Helper()
	return require(t, TemporalCLIEnv)
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect test postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
