package ledger

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFee(t *testing.T) {
	cases := []struct {
		amount, bps, want int64
	}{
		{15_000, 300, 450},
		{10_001, 300, 300}, // 300.03 rounds down
		{1, 300, 0},
		{1 << 50, 10_000, 1 << 50},              // no overflow at the largest accepted amount
		{1 << 50, 9_999, 1_125_787_316_851_939}, // floor(2^50 * 0.9999)
		{5, 0, 0},
	}
	for _, c := range cases {
		require.Equal(t, c.want, Fee(c.amount, c.bps), "Fee(%d, %d)", c.amount, c.bps)
	}
}

func TestCaptureJournalMatchesDesignExample(t *testing.T) {
	j := CaptureJournal("pay_1", "alpha", "KRW", []Item{{ProducerID: "A", Amount: 15_000, Fee: 450}})
	require.NoError(t, j.Validate())
	require.Equal(t, "payment:pay_1:capture", j.Key)
	require.ElementsMatch(t, []Posting{
		{Account: "pg:alpha:receivable", Currency: "KRW", Amount: 15_000},
		{Account: "producer:A:payable", Currency: "KRW", Amount: -14_550},
		{Account: "revenue:fees", Currency: "KRW", Amount: -450},
	}, j.Postings)
}

func TestValidateRejectsBadJournals(t *testing.T) {
	bad := map[string]Journal{
		"one posting": {Key: "k", Kind: "x", Postings: []Posting{{"a:b", "KRW", 1}}},
		"unbalanced":  {Key: "k", Kind: "x", Postings: []Posting{{"a:b", "KRW", 2}, {"a:c", "KRW", -1}}},
		"zero line":   {Key: "k", Kind: "x", Postings: []Posting{{"a:b", "KRW", 0}, {"a:c", "KRW", 0}}},
		"mixed currency": {Key: "k", Kind: "x", Postings: []Posting{
			{"a:b", "KRW", 5}, {"a:c", "USD", -5}}},
		"overflow": {Key: "k", Kind: "x", Postings: []Posting{
			{"a:b", "KRW", 1 << 62}, {"a:c", "KRW", 1 << 62}, {"a:d", "KRW", -(1 << 62)}, {"a:e", "KRW", -(1 << 62)}}},
		"no key": {Kind: "x", Postings: []Posting{{"a:b", "KRW", 1}, {"a:c", "KRW", -1}}},
	}
	for name, j := range bad {
		t.Run(name, func(t *testing.T) { require.Error(t, j.Validate()) })
	}
}

// Refunding a payment in any number of parts must reverse its capture exactly:
// each producer gets back to 0, fees to 0, the PG receivable to 0.
func TestRefundsInPartsReverseCaptureExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		n := 1 + rng.IntN(5)
		items := make([]Item, n)
		var total int64
		for i := range items {
			amt := 1 + rng.Int64N(100_000)
			items[i] = Item{ProducerID: string(rune('A' + i)), Amount: amt, Fee: Fee(amt, 300)}
			total += amt
		}
		balances := map[string]int64{}
		apply := func(j Journal) {
			require.NoError(t, j.Validate(), "trial %d", trial)
			for _, p := range j.Postings {
				balances[p.Account] += p.Amount
			}
		}
		apply(CaptureJournal("p", "alpha", "KRW", items))
		var before int64
		for part := 0; before < total; part++ {
			amount := 1 + rng.Int64N(total-before)
			if part > 6 {
				amount = total - before
			}
			j := RefundJournal("r", "p", "alpha", "KRW", items, before, amount)
			require.Equal(t, -amount, j.Postings[0].Amount)
			apply(j)
			before += amount
		}
		for acct, bal := range balances {
			require.Zero(t, bal, "trial %d: %s not reversed", trial, acct)
		}
	}
}

func TestRefundIsProportional(t *testing.T) {
	items := []Item{{ProducerID: "A", Amount: 10_000, Fee: 300}, {ProducerID: "B", Amount: 5_000, Fee: 150}}
	j := RefundJournal("r1", "p1", "alpha", "KRW", items, 0, 3_000)
	require.ElementsMatch(t, []Posting{
		{Account: "pg:alpha:receivable", Currency: "KRW", Amount: -3_000},
		{Account: "producer:A:payable", Currency: "KRW", Amount: 1_940},
		{Account: "producer:B:payable", Currency: "KRW", Amount: 970},
		{Account: "revenue:fees", Currency: "KRW", Amount: 90},
	}, j.Postings)
}

// Items of 1, 3 and 3 won refunded 3 then 1: largest remainder gave [1 1 1]
// then [0 2 2], so the second refund took a won back from the first producer.
// The house-monotone allocation never does.
func TestRefundSliceNeverTakesFromAProducer(t *testing.T) {
	items := []Item{{ProducerID: "A", Amount: 1}, {ProducerID: "B", Amount: 3}, {ProducerID: "C", Amount: 3}}
	j := RefundJournal("r2", "p", "alpha", "KRW", items, 3, 1)
	for _, p := range j.Postings {
		if p.Account != PGReceivable("alpha") {
			require.Positive(t, p.Amount, "%s in %v", p.Account, j.Postings)
		}
	}
}
