package chaos

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func draw(seed int64) (kills, faults []step, js []job) {
	sc := newSchedule(seed, Options{Short: true}.size())
	for range 30 {
		kills = append(kills, sc.nextKill())
		faults = append(faults, sc.nextFault())
	}
	return kills, faults, jobs(rand.New(rand.NewPCG(uint64(seed), 0x5eed)), 40, 12, 16, 8)
}

// The same seed replays the same workload and fault schedule; another seed does not.
func TestSeedReplaysTheSchedule(t *testing.T) {
	k1, f1, j1 := draw(7)
	k2, f2, j2 := draw(7)
	require.Equal(t, k1, k2)
	require.Equal(t, f1, f2)
	require.Equal(t, j1, j2)
	k3, f3, j3 := draw(8)
	require.NotEqual(t, k1, k3)
	require.NotEqual(t, f1, f3)
	require.NotEqual(t, j1, j3)
	for _, st := range append(k1, f1...) {
		require.GreaterOrEqual(t, st.Gap, Options{Short: true}.size().killEvery[0])
	}
}
