package ledger

import (
	"math/rand/v2"
	"testing"
)

func TestCommissionVATRoundsDown(t *testing.T) {
	for _, c := range []struct{ commission, vat int64 }{{0, 0}, {9, 0}, {10, 1}, {19, 1}, {450, 45}, {455, 45}, {-5, 0}} {
		if got := CommissionVAT(c.commission); got != c.vat {
			t.Errorf("CommissionVAT(%d) = %d, want %d", c.commission, got, c.vat)
		}
	}
}

func TestConfirmationBooksNetCommissionAndVAT(t *testing.T) {
	s := SettlementOf(Item{ProducerID: "p1", Amount: 15_000, Fee: Fee(15_000, 300)}, false)
	c := ConfirmationOf(s, 0)
	if c != (Confirmation{Pending: 15_000, Commission: 450, VAT: 45, Net: 14_505}) {
		t.Fatalf("confirmation = %+v", c)
	}
	j := ConfirmJournal("pay1", "KRW", "p1", c)
	if err := j.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(ConfirmJournal("pay1", "KRW", "p1", ConfirmationOf(s, 15_000)).Postings) != 0 {
		t.Fatal("an item refunded in full must confirm nothing")
	}
}

// However an item is refunded, in parts before and after its confirmation,
// refunding all of it leaves every account at zero, and what the producer is
// owed after each step is ItemSettlement.Owed.
func TestSettlementReversesExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	for n := 0; n < 2000; n++ {
		items := []Item{}
		for i := 0; i < 1+rng.IntN(3); i++ {
			a := 1 + rng.Int64N(100_000)
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
				t.Fatal(err)
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
		var refunded int64
		confirmAt := rng.Int64N(total + 1)
		for refunded < total {
			if refunded >= confirmAt && !sets[0].Confirmed {
				shares := RefundedShares(sets, refunded)
				for i := range sets {
					post(ConfirmJournal("pay", "KRW", sets[i].ProducerID, ConfirmationOf(sets[i], shares[i])))
					sets[i].Confirmed = true
				}
			}
			amt := 1 + rng.Int64N(total-refunded)
			post(SettledRefundJournal("r", "pay", "toss", "KRW", sets, refunded, amt))
			refunded += amt
			shares := RefundedShares(sets, refunded)
			for i, s := range sets {
				owed := -(bal[ProducerPending(s.ProducerID)] + bal[ProducerPayable(s.ProducerID)])
				if owed != s.Owed(shares[i]) {
					t.Fatalf("case %d: %s owed %d, want %d", n, s.ProducerID, owed, s.Owed(shares[i]))
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
