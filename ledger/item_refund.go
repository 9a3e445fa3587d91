package ledger

// Item-targeted refunds (issue 13): a refund that names the items it gives
// back, so "refund one producer's part" is literally that item. ADR 0016.
//
// Each item keeps its own cumulative refunded total; a part of a refund claims
// the item's slice [Before, Before+Amount), and every figure of it is the
// difference of ItemSettlement.Share at the two ends, the same cumulative rule
// the slices of ADR 0004 use per item. So however an item is refunded, by
// slices, by name, in parts, before or after its confirmation, refunding all
// of it reverses exactly what its capture and confirmation booked.
//
// A payment's amount-only refunds are ADR 0004's slices until its first
// item-targeted refund; from then on an amount-only refund is spread over what
// is left of each item (AllocateRemaining), so the slices are always a prefix
// of the payment's refunds and ItemsRefunded can tell what each item gave back.

// ItemRefundPart is one item's part of an item-targeted refund.
type ItemRefundPart struct {
	Item   ItemSettlement // Confirmed: given back from payable, with its commission and VAT
	Before int64          // the item's refunded total before this part
	Amount int64
}

// Figures is the commission, VAT and producer net the part gives back.
func (p ItemRefundPart) Figures() (commission, vat, net int64) {
	c0, v0, n0 := p.Item.Share(p.Before)
	c1, v1, n1 := p.Item.Share(p.Before + p.Amount)
	return c1 - c0, v1 - v0, n1 - n0
}

// ItemsRefunded is how much of each item the payment's refunds have claimed:
// the slice refunds' total (sliced, always the payment's first refunds)
// allocated as their journals were, plus what item-targeted refunds named.
func ItemsRefunded(items []Item, sliced int64, named map[string]int64) []int64 {
	out := allocate(items, sliced)
	for i, it := range items {
		out[i] += named[it.ProducerID]
	}
	return out
}

// AllocateRemaining spreads amount (<= what is left of the items) over what is
// left of each item, in proportion, by largest remainder. All that is left
// gives each item exactly its rest.
func AllocateRemaining(items []Item, refunded []int64, amount int64) []int64 {
	left := make([]Item, len(items))
	for i, it := range items {
		left[i] = Item{ProducerID: it.ProducerID, Amount: it.Amount - refunded[i]}
	}
	return allocate(left, amount)
}

// ItemRefundJournal books an item-targeted refund: Cr the PG what it gave
// back; each pending item gives back its gross from pending, each confirmed
// one its net from payable and its commission and VAT shares.
func ItemRefundJournal(refundID, paymentID, pg, currency string, parts []ItemRefundPart) Journal {
	var total, feeBack, vatBack int64
	postings := []Posting{}
	for _, p := range parts {
		total += p.Amount
		if !p.Item.Confirmed {
			postings = append(postings, Posting{Account: ProducerPending(p.Item.ProducerID), Currency: currency, Amount: p.Amount})
			continue
		}
		c, v, n := p.Figures()
		if n != 0 {
			postings = append(postings, Posting{Account: ProducerPayable(p.Item.ProducerID), Currency: currency, Amount: n})
		}
		feeBack += c
		vatBack += v
	}
	postings = append([]Posting{{Account: PGReceivable(pg), Currency: currency, Amount: -total}}, postings...)
	if feeBack != 0 {
		postings = append(postings, Posting{Account: RevenueFees, Currency: currency, Amount: feeBack})
	}
	if vatBack != 0 {
		postings = append(postings, Posting{Account: VATPayable, Currency: currency, Amount: vatBack})
	}
	return Journal{
		Key: "refund:" + refundID, Kind: "payment_refund", PaymentID: paymentID,
		Description: "item refund via " + pg, Postings: postings,
	}
}
