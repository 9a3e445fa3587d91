// Package prodlane is the production-shaped lane of make test, a package of its
// own so that it runs beside the dev chaos run (and has its own test timeout)
// instead of after it.
package prodlane_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/chaos"
	"github.com/paysaga/paysaga/testenv"
)

// The production-shaped lane of make test: the Temporal server on PostgreSQL
// (schemas set up by its own SQL tool), two APIs without embedded workers and
// two workers; a few hundred checkouts, top-ups and refunds and a payout run go
// through either API while one API or one worker at a time is SIGKILLed and
// restarted, and the client retries with the same Idempotency-Key on the other
// replica. Any process that does not start fails the run.
func TestChaosProdShort(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "paysaga")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/paysaga")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	dir, err := os.MkdirTemp("", "paysaga-chaos-prod-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	rep, err := chaos.Run(t.Context(), chaos.Options{Seed: 2, Short: true, Bin: bin, TemporalCLI: testenv.TemporalCLI(t),
		Topology: "prod", TemporalServerDir: testenv.TemporalServerDir(t), Dir: dir, Out: testWriter{t}})
	require.NoError(t, err)
	t.Logf("\n%s", rep)
	if !rep.OK() {
		t.Fatalf("prod lane failed; logs kept in %s", dir)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.GreaterOrEqual(t, rep.Kills, 2, "a worker was killed")
	require.GreaterOrEqual(t, rep.APIKills, 2, "an API was killed")
	require.Len(t, rep.ByAPI, 2)
	for i, n := range rep.ByAPI {
		require.Positive(t, n, "api-%d answered", i+1)
	}
	require.GreaterOrEqual(t, rep.Counts["checkout:succeeded"], 100)
	require.Positive(t, rep.Counts["topup:succeeded"])
	require.Positive(t, rep.Counts["refund:succeeded"])
	require.Equal(t, "completed", rep.PayoutRun["status"])
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
