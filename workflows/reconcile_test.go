package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
)

// A scheduled run (no date) reconciles yesterday in Korea: at 2026-03-01 19:00
// UTC it is already 03-02 04:00 in Seoul, so the day is 03-01.
func TestReconcileDefaultsToYesterdayInKoreaAndFlagsMismatches(t *testing.T) {
	env := newEnv(t)
	env.SetStartTime(time.Date(2026, 3, 1, 19, 0, 0, 0, time.UTC))
	env.OnActivity(recon.Reconcile, mock.Anything, mock.MatchedBy(func(in activities.ReconcileInput) bool {
		return in.Date == "2026-03-01" && in.FeeBPS == 250 && len(in.PGs) == 2 && in.RunID != ""
	})).Return(activities.ReconcileResult{PGItems: 4, LedgerItems: 4, Mismatches: 2}, nil).Once()

	env.ExecuteWorkflow(Reconcile, ReconcileInput{PGs: []string{"alpha", "beta"}, FeeBPS: 250})

	require.NoError(t, env.GetWorkflowError())
	var res ReconcileResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "2026-03-01", res.Date)
	require.Equal(t, 2, res.Mismatches)
}
