package chaos_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/chaos"
	"github.com/paysaga/paysaga/testenv"
)

// The short chaos run of make test: the worker killed every few seconds, a PG
// outage and provider faults, PostgreSQL and Temporal restarted once each, and
// still every invariant holds. PAYSAGA_CHAOS_SEED picks another schedule.
func TestChaosShort(t *testing.T) {
	seed := int64(1)
	if v := os.Getenv("PAYSAGA_CHAOS_SEED"); v != "" {
		var err error
		seed, err = strconv.ParseInt(v, 10, 64)
		require.NoError(t, err)
	}
	bin := filepath.Join(t.TempDir(), "paysaga")
	build := exec.Command("go", "build", "-o", bin, "../cmd/paysaga")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	// Not t.TempDir: PostgreSQL may run as another user, who must reach it.
	dir, err := os.MkdirTemp("", "paysaga-chaos-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	rep, err := chaos.Run(t.Context(), chaos.Options{Seed: seed, Short: true, Bin: bin,
		TemporalCLI: testenv.TemporalCLI(t), Dir: dir, Out: testWriter{t}})
	require.NoError(t, err)
	t.Logf("\n%s", rep)
	if !rep.OK() {
		t.Fatalf("chaos seed %d failed; logs kept in %s", seed, dir)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.GreaterOrEqual(t, rep.Kills, 3, "the worker was killed")
	require.ElementsMatch(t, []string{"postgres", "temporal"}, rep.Restarts)
	require.Positive(t, rep.Fired, "faults fired")
	require.Equal(t, "completed", rep.PayoutRun["status"])
	require.Positive(t, rep.Counts["checkout:succeeded"])
	require.Positive(t, rep.Counts["topup:succeeded"])
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
