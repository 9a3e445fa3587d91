package tax

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitGroceryExample(t *testing.T) {
	b, err := Split(30_000, 12_000)
	require.NoError(t, err)
	require.Equal(t, Breakdown{Amount: 30_000, TaxFree: 12_000, Supply: 16_364, VAT: 1_636}, b)

	b, _ = Split(11_000, 0)
	require.Equal(t, int64(1_000), b.VAT)
	b, _ = Split(5_000, 5_000)
	require.Equal(t, Breakdown{Amount: 5_000, TaxFree: 5_000}, b, "all tax-free: no VAT")
	b, _ = Split(10, 0)
	require.Equal(t, Breakdown{Amount: 10, Supply: 10}, b, "10/11 rounds down to 0")

	for _, bad := range [][2]int64{{100, -1}, {100, 101}, {-1, 0}} {
		_, err := Split(bad[0], bad[1])
		require.Error(t, err, "%v", bad)
	}
}

func TestRefundTaxFreeShareOfTheExample(t *testing.T) {
	require.Equal(t, int64(4_000), SliceTaxFree(30_000, 12_000, 0, 10_000))
	require.Equal(t, int64(8_000), SliceTaxFree(30_000, 12_000, 10_000, 20_000), "the rest gives back the rest")
}

// Property: any sequence of partial refunds of any payment keeps every
// refund's tax-free part within 0..its amount, the running sums within the
// payment's tax-free and taxable amounts, and a full refund returns both exactly.
func TestRandomRefundSequencesStayWithinTheOriginal(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 5000 {
		total := 1 + rng.Int64N(3_000_000)
		taxFree := rng.Int64N(total + 1)
		var before, tfSum int64
		for part := 0; before < total; part++ {
			amount := 1 + rng.Int64N(min(total-before, 1+rng.Int64N(total)))
			if part > 8 {
				amount = total - before
			}
			tf := SliceTaxFree(total, taxFree, before, amount)
			require.GreaterOrEqual(t, tf, int64(0), "trial %d", trial)
			require.LessOrEqual(t, tf, amount, "trial %d", trial)
			tfSum += tf
			before += amount
			require.LessOrEqual(t, tfSum, taxFree, "trial %d: tax-free refunded beyond the original", trial)
			require.LessOrEqual(t, before-tfSum, total-taxFree, "trial %d: taxable refunded beyond the original", trial)
		}
		require.Equal(t, taxFree, tfSum, "trial %d: a full refund returns the tax-free amount exactly", trial)
	}
}

func FuzzSliceTaxFree(f *testing.F) {
	f.Add(int64(30_000), int64(12_000), int64(10_000), int64(7))
	f.Add(int64(1), int64(1), int64(0), int64(1))
	f.Add(int64(1<<50), int64(1<<49+3), int64(1<<48), int64(999))
	f.Fuzz(func(t *testing.T, total, taxFree, before, amount int64) {
		if total <= 0 || total > 1<<50 || taxFree < 0 || taxFree > total || before < 0 || amount <= 0 || before > total-amount {
			t.Skip()
		}
		tf := SliceTaxFree(total, taxFree, before, amount)
		if tf < 0 || tf > amount || TaxFreeUpTo(total, taxFree, before+amount) > taxFree {
			t.Fatalf("slice %d+%d of %d (%d tax-free): %d", before, amount, total, taxFree, tf)
		}
		if taxable := amount - tf; taxable < 0 || (before+amount)-TaxFreeUpTo(total, taxFree, before+amount) > total-taxFree {
			t.Fatalf("taxable beyond the original")
		}
	})
}
