package apportion

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// sequential hands out t won one at a time, as Allocate's doc says; the
// reference Allocate must match for every t.
func sequential(w []int64, t int64) []int64 {
	a := make([]int64, len(w))
	for range t {
		a[bestNext(w, a)]++
	}
	return a
}

func TestAllocateIsTheSequentialOrderAtEveryTotal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		w := make([]int64, 1+rng.IntN(5))
		var total int64
		for i := range w {
			w[i] = 1 + rng.Int64N(60)
			total += w[i]
		}
		prev := make([]int64, len(w))
		for x := int64(0); x <= total; x++ {
			got := Allocate(w, x)
			require.Equal(t, sequential(w, x), got, "trial %d weights %v t %d", trial, w, x)
			var sum int64
			for i := range got {
				require.GreaterOrEqual(t, got[i], prev[i], "part %d shrank from t-1 to t=%d (%v)", i, x, w)
				sum += got[i]
			}
			require.Equal(t, x, sum)
			prev = got
		}
		require.Equal(t, w, Allocate(w, total), "all of it gives every part its weight")
	}
}

// Large amounts: monotone between random pairs of totals, exact at the end,
// and within one won per part of the proportional share... of a few won.
func TestAllocateLargeAmountsMonotoneAndNearProportional(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		w := make([]int64, 1+rng.IntN(6))
		var total int64
		for i := range w {
			w[i] = 1 + rng.Int64N(1<<40)
			total += w[i]
		}
		x := rng.Int64N(total + 1)
		y := x + rng.Int64N(total-x+1)
		ax, ay := Allocate(w, x), Allocate(w, y)
		for i := range w {
			require.LessOrEqual(t, ax[i], ay[i], "weights %v: part %d at %d > at %d", w, i, x, y)
			share := float64(w[i]) * float64(x) / float64(total)
			require.InDelta(t, share, float64(ax[i]), float64(len(w))+1, "weights %v t %d", w, x)
		}
		require.Equal(t, w, Allocate(w, total))
	}
}

func TestAllocateExamples(t *testing.T) {
	require.Equal(t, []int64{2_000, 1_000}, Allocate([]int64{10_000, 5_000}, 3_000))
	require.Equal(t, []int64{0, 0}, Allocate([]int64{10_000, 5_000}, 0))
	require.Equal(t, []int64{1, 0, 0}, Allocate([]int64{1, 1, 1}, 1), "ties go to the earlier part")
	require.Equal(t, []int64{0, 3}, Allocate([]int64{0, 3}, 3), "a zero weight gets nothing")
}
