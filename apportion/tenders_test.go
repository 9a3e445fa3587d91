package apportion

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// 3,000 points + 10,000 wallet + 37,000 card, refunded 20,000 then 30,000:
// each tender gets back exactly its part, and each refund splits in proportion.
func TestTendersExample(t *testing.T) {
	w := []int64{10_000, 3_000, 37_000} // wallet, points, card
	first := Tenders(w, 0, 20_000)
	require.Equal(t, []int64{4_000, 1_200, 14_800}, first)
	rest := Tenders(w, 20_000, 30_000)
	require.Equal(t, []int64{6_000, 1_800, 22_200}, rest)
}

// A tender of weight 0 changes no other tender's share: payments without
// points split between wallet and card exactly as before points existed.
func TestTendersZeroWeightChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		wallet, card := rng.Int64N(50_000), 1+rng.Int64N(50_000)
		total := wallet + card
		before := rng.Int64N(total + 1)
		amount := rng.Int64N(total - before + 1)
		two := Tenders([]int64{wallet, card}, before, amount)
		three := Tenders([]int64{wallet, 0, card}, before, amount)
		require.Equal(t, []int64{two[0], 0, two[1]}, three, "wallet %d card %d slice %d+%d", wallet, card, before, amount)
	}
}

// Property: any sequence of slices covering the payment gives each tender
// back exactly its part; every share is >= 0 and each slice's shares add up
// to the slice.
func TestTendersSlicesSumExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 3000 {
		w := make([]int64, 1+rng.IntN(4))
		var total int64
		for i := range w {
			if rng.IntN(4) > 0 {
				w[i] = rng.Int64N(1 << uint(1+rng.IntN(40)))
			}
			total += w[i]
		}
		got := make([]int64, len(w))
		var before int64
		for before < total {
			amount := 1 + rng.Int64N(total-before)
			if rng.IntN(3) == 0 {
				amount = 1 + rng.Int64N(min(total-before, 7))
			}
			s := Tenders(w, before, amount)
			var sum int64
			for i, x := range s {
				require.GreaterOrEqual(t, x, int64(0), "trial %d weights %v", trial, w)
				got[i] += x
				sum += x
			}
			require.Equal(t, amount, sum, "trial %d weights %v slice %d+%d", trial, w, before, amount)
			before += amount
		}
		require.Equal(t, w, got, "trial %d: all slices give every tender its part", trial)
	}
}
