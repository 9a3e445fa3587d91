package ledger

import (
	"math/rand/v2"
	"testing"
)

// Any mix of refunds (some ADR 0004 slices first, then refunds that name
// items or spread an amount over what is left) interleaved with confirmations:
// after every step each producer is owed ItemSettlement.Owed of its own
// refunded total, and refunding everything leaves every account at zero.
func TestItemRefundsReverseExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 16))
	for n := 0; n < 2000; n++ {
		items := []Item{}
		for i := 0; i < 1+rng.IntN(4); i++ {
			a := 1 + rng.Int64N(50_000)
			items = append(items, Item{ProducerID: string(rune('a' + i)), Amount: a, Fee: Fee(a, rng.Int64N(3_000))})
		}
		var total int64
		for _, it := range items {
			total += it.Amount
		}
		bal := map[string]int64{}
		post := func(j Journal) {
			if len(j.Postings) == 0 {
				return
			}
			if err := j.Validate(); err != nil {
				t.Fatalf("case %d: %v", n, err)
			}
			for _, p := range j.Postings {
				bal[p.Account] += p.Amount
			}
		}
		post(PendingCaptureJournal("pay", "toss", "KRW", items))
		sets := make([]ItemSettlement, len(items))
		for i, it := range items {
			sets[i] = SettlementOf(it, false)
		}
		var sliced int64
		named := map[string]int64{}
		refundedNow := func() []int64 { return ItemsRefunded(items, sliced, named) }
		itemized := false
		var refunded int64
		for step := 0; refunded < total; step++ {
			// Confirm a random item on what is left of it.
			if i := rng.IntN(len(sets)); !sets[i].Confirmed && rng.IntN(3) == 0 {
				post(ConfirmJournal("pay", "KRW", sets[i].ProducerID, ConfirmationOf(sets[i], refundedNow()[i])))
				sets[i].Confirmed = true
			}
			switch {
			case !itemized && rng.IntN(3) == 0: // an amount-only refund before any item refund: a slice
				amt := 1 + rng.Int64N(total-refunded)
				post(SettledRefundJournal("r", "pay", "toss", "KRW", sets, sliced, amt))
				sliced += amt
				refunded += amt
				continue
			}
			itemized = true
			before := refundedNow()
			var amounts []int64
			if rng.IntN(2) == 0 { // name one item, part or all of what is left of it
				amounts = make([]int64, len(items))
				i := rng.IntN(len(items))
				if left := items[i].Amount - before[i]; left > 0 {
					amounts[i] = 1 + rng.Int64N(left)
				}
			} else { // an amount-only refund after an item refund
				amounts = AllocateRemaining(items, before, 1+rng.Int64N(total-refunded))
			}
			var parts []ItemRefundPart
			for i, a := range amounts {
				if a < 0 || a > items[i].Amount-before[i] {
					t.Fatalf("case %d: %d of item %d exceeds what is left", n, a, i)
				}
				if a > 0 {
					parts = append(parts, ItemRefundPart{Item: sets[i], Before: before[i], Amount: a})
					named[items[i].ProducerID] += a
					refunded += a
				}
			}
			if len(parts) > 0 {
				post(ItemRefundJournal("r", "pay", "toss", "KRW", parts))
			}
			now := refundedNow()
			for i, s := range sets {
				owed := -(bal[ProducerPending(s.ProducerID)] + bal[ProducerPayable(s.ProducerID)])
				if now[i] > s.Amount || owed != s.Owed(now[i]) {
					t.Fatalf("case %d step %d: %s owed %d after %d of %d refunded, want %d", n, step, s.ProducerID, owed, now[i], s.Amount, s.Owed(now[i]))
				}
			}
		}
		for acc, b := range bal {
			if b != 0 {
				t.Fatalf("case %d: %s left at %d after refunding everything", n, acc, b)
			}
		}
	}
}

func TestAllocateRemainingGivesEachItemItsRest(t *testing.T) {
	items := []Item{{ProducerID: "a", Amount: 10_000}, {ProducerID: "b", Amount: 20_000}, {ProducerID: "c", Amount: 8_000}}
	refunded := ItemsRefunded(items, 0, map[string]int64{"c": 8_000, "a": 1})
	if got := AllocateRemaining(items, refunded, 8_000); got[0]+got[1] != 8_000 || got[2] != 0 {
		t.Fatalf("an amount after c's item refund must spare c: %v", got)
	}
	if got := AllocateRemaining(items, refunded, 29_999); got[0] != 9_999 || got[1] != 20_000 || got[2] != 0 {
		t.Fatalf("all that is left is each item's rest: %v", got)
	}
}
