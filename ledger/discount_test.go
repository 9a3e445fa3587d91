package ledger

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// A discounted card part refunded in any slices gives back exactly what the
// card was charged and reverses exactly the discount, no slice negative.
func TestSplitDiscountIsExactInSlices(t *testing.T) {
	toCard, toDiscount := SplitDiscount(45_000, 5_000, 0, 50_000)
	require.EqualValues(t, 45_000, toCard)
	require.EqualValues(t, 5_000, toDiscount)
	c1, d1 := SplitDiscount(45_000, 5_000, 0, 10_000)
	require.EqualValues(t, 9_000, c1)
	require.EqualValues(t, 1_000, d1)
	r := rand.New(rand.NewPCG(15, 24))
	for range 2_000 {
		charged, discount := 1+r.Int64N(100_000), r.Int64N(20_000)
		total := charged + discount
		var before, card, disc int64
		for before < total {
			slice := 1 + r.Int64N(total-before)
			c, d := SplitDiscount(charged, discount, before, slice)
			require.GreaterOrEqual(t, c, int64(0))
			require.GreaterOrEqual(t, d, int64(0))
			require.Equal(t, slice, c+d)
			card, disc, before = card+c, disc+d, before+slice
		}
		require.Equal(t, charged, card)
		require.Equal(t, discount, disc)
	}
	c, d := SplitDiscount(10_000, 0, 0, 4_000)
	require.EqualValues(t, 4_000, c)
	require.Zero(t, d)
}

// The capture's discount is the platform's expense, the PG holding the rest.
func TestFundWithDiscount(t *testing.T) {
	j := Journal{Key: "k", Kind: "capture", Postings: []Posting{{Account: "pg:alpha:receivable", Currency: "KRW", Amount: 50_000}, {Account: "producer:a:pending", Currency: "KRW", Amount: -50_000}}}
	got := FundWithDiscount(j, "pg:alpha:receivable", 5_000)
	require.NoError(t, got.Validate())
	require.Contains(t, got.Postings, Posting{Account: "pg:alpha:receivable", Currency: "KRW", Amount: 45_000})
	require.Contains(t, got.Postings, Posting{Account: InstantDiscounts, Currency: "KRW", Amount: 5_000})
	refund := Journal{Key: "r", Postings: []Posting{{Account: "pg:alpha:receivable", Currency: "KRW", Amount: -10_000}, {Account: "producer:a:pending", Currency: "KRW", Amount: 10_000}}}
	back := FundWithDiscount(refund, "pg:alpha:receivable", 1_000)
	require.Contains(t, back.Postings, Posting{Account: InstantDiscounts, Currency: "KRW", Amount: -1_000})
	require.Equal(t, j, FundWithDiscount(j, "pg:alpha:receivable", 0))
}
