package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Statement lines divided by the tax rule; a refund line is signed back.
func TestSettlementLineTax(t *testing.T) {
	tf, supply, vat := lineTax(30_000, 12_000)
	require.Equal(t, [3]int64{12_000, 16_364, 1_636}, [3]int64{tf, supply, vat})
	tf, supply, vat = lineTax(-10_000, -4_000)
	require.Equal(t, [3]int64{-4_000, -5_455, -545}, [3]int64{tf, supply, vat})
	require.Equal(t, int64(-10_000), tf+supply+vat, "the parts add up to the line")
}
