package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitCaptureMatchesDesignExample(t *testing.T) {
	j := FundWithWallet(CaptureJournal("pay_1", "alpha", "KRW", []Item{{ProducerID: "A", Amount: 15_000, Fee: 450}}),
		PGReceivable("alpha"), "cus_1", 5_000)
	require.NoError(t, j.Validate())
	require.ElementsMatch(t, []Posting{
		{Account: "pg:alpha:receivable", Currency: "KRW", Amount: 10_000},
		{Account: "wallet:cus_1", Currency: "KRW", Amount: 5_000},
		{Account: "producer:A:payable", Currency: "KRW", Amount: -14_550},
		{Account: "revenue:fees", Currency: "KRW", Amount: -450},
	}, j.Postings)

	walletOnly := FundWithWallet(CaptureJournal("pay_2", "", "KRW", []Item{{ProducerID: "A", Amount: 15_000, Fee: 450}}),
		PGReceivable(""), "cus_1", 15_000)
	require.NoError(t, walletOnly.Validate())
	require.Len(t, walletOnly.Postings, 3, "no PG posting when the wallet pays it all")
}

func TestSplitRefundIsProportionalAndExact(t *testing.T) {
	card, wallet := SplitRefund(10_000, 5_000, 0, 3_000)
	require.Equal(t, int64(2_000), card)
	require.Equal(t, int64(1_000), wallet)

	var cardSum, walletSum int64
	for _, part := range []int64{1, 333, 7_000, 4_666, 3_000} {
		c, w := SplitRefund(9_999, 5_001, cardSum+walletSum, part)
		require.Equal(t, part, c+w)
		cardSum, walletSum = cardSum+c, walletSum+w
	}
	require.Equal(t, int64(9_999), cardSum)
	require.Equal(t, int64(5_001), walletSum)
}
