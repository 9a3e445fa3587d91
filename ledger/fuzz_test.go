package ledger

import (
	"testing"
)

// Any capture, refunded in any three slices that add up to it, nets every
// account to zero exactly; every journal on the way sums to zero and no slice
// gives a producer back more than it was paid.
func FuzzRefundSlicesReverseTheCapture(f *testing.F) {
	f.Add(int64(10_000), int64(5_000), int64(1), int64(300), int64(4_000), int64(7))
	f.Add(int64(1), int64(1), int64(1), int64(10_000), int64(1), int64(1))
	f.Add(int64(1<<40), int64(3), int64(999_999), int64(9_999), int64(1<<39), int64(5))
	f.Add(int64(333), int64(333), int64(334), int64(1), int64(500), int64(499))
	f.Fuzz(func(t *testing.T, a, b, c, bps, first, second int64) {
		amounts := []int64{a, b, c}
		var total int64
		for _, x := range amounts {
			if x <= 0 || x > 1<<40 {
				t.Skip()
			}
			total += x
		}
		if bps < 0 || bps > 10_000 {
			t.Skip()
		}
		items := make([]Item, len(amounts))
		for i, x := range amounts {
			items[i] = Item{ProducerID: string(rune('a' + i)), Amount: x, Fee: Fee(x, bps)}
		}
		first = clamp(first, total)
		second = clamp(second, total-first)
		slices := []int64{first, second, total - first - second}

		net := map[string]int64{}
		book := func(j Journal) {
			if err := j.Validate(); err != nil && len(j.Postings) > 1 {
				t.Fatalf("%s: %v (%v)", j.Key, err, j.Postings)
			}
			for _, p := range j.Postings {
				net[p.Account] += p.Amount
			}
		}
		book(CaptureJournal("p", "alpha", "KRW", items))
		var before int64
		for i, s := range slices {
			if s == 0 {
				continue
			}
			j := RefundJournal(string(rune('0'+i)), "p", "alpha", "KRW", items, before, s)
			for _, p := range j.Postings {
				if p.Account != PGReceivable("alpha") && p.Account != RevenueFees && p.Amount < 0 {
					t.Fatalf("a refund took from a producer: %v", j.Postings)
				}
			}
			book(j)
			before += s
		}
		for account, v := range net {
			if v != 0 {
				t.Fatalf("%s nets to %d after a full refund in slices %v of %v", account, v, slices, amounts)
			}
		}
	})
}

func clamp(x, max int64) int64 {
	if x < 0 {
		x = -x
	}
	if max <= 0 {
		return 0
	}
	return x % (max + 1)
}
