package apportion

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Refunding a base in random slices takes back the earning exactly, each
// slice never more than its proportional share rounded up by one point.
func TestPointsToReverseSlicesAddUpExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 23))
	for range 2_000 {
		base := 1 + r.Int64N(200_000)
		earned := 1 + r.Int64N(base) // at most a 100% rate
		var from, reversed int64
		for from < base {
			to := from + 1 + r.Int64N(base-from)
			n := PointsToReverse(earned, base, from, to, reversed)
			if n < 0 {
				t.Fatalf("earned %d base %d [%d,%d): %d", earned, base, from, to, n)
			}
			if share := mulDiv(earned, to-from, base) + 1; to < base && n > share {
				t.Fatalf("earned %d base %d [%d,%d): %d, more than its share %d", earned, base, from, to, n, share)
			}
			reversed += n
			from = to
		}
		if reversed != earned {
			t.Fatalf("earned %d on base %d, slices took back %d", earned, base, reversed)
		}
	}
}

func TestPointsToReverseExamples(t *testing.T) {
	for _, c := range []struct {
		name                                 string
		earned, base, from, to, before, want int64
	}{
		{"a fifth of 50,000 at 3%", 1_500, 50_000, 0, 10_000, 0, 300},
		{"the rest", 1_500, 50_000, 10_000, 50_000, 300, 1_200},
		{"a third rounds down", 100, 3_000, 0, 1_000, 0, 33},
		{"the last third takes the remainder", 100, 3_000, 2_000, 3_000, 66, 34},
		{"nothing left", 100, 3_000, 0, 3_000, 100, 0},
		{"an empty slice", 100, 3_000, 500, 500, 0, 0},
	} {
		if got := PointsToReverse(c.earned, c.base, c.from, c.to, c.before); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestMeet(t *testing.T) {
	for _, c := range []struct {
		due     int64
		sources []int64
		taken   []int64
		rest    int64
	}{
		{300, []int64{1_000, 0, 10_000}, []int64{300, 0, 0}, 0},
		{300, []int64{100, 50, 10_000}, []int64{100, 50, 150}, 0},
		{300, []int64{0, 0, 120}, []int64{0, 0, 120}, 180},
		{0, []int64{50, 50}, []int64{0, 0}, 0},
	} {
		taken, rest := Meet(c.due, c.sources...)
		if !slices.Equal(taken, c.taken) || rest != c.rest {
			t.Errorf("Meet(%d, %v) = %v, %d; want %v, %d", c.due, c.sources, taken, rest, c.taken, c.rest)
		}
	}
}
