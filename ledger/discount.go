package ledger

// InstantDiscounts is the platform's expense account for instant discounts
// (issue 15, ADR 0024): the platform pays the part of a sale the card was
// not charged, so the producer's sale, commission and VAT stay on the full
// amount. Its balance is what was given less what refunds took back.
const InstantDiscounts = "expense:instant_discounts"

// FundWithDiscount moves discount of the journal's posting to pgAccount onto
// the discount account, keeping its sign: a capture debits the platform's
// expense for the part the PG did not charge, and a refund's share of the
// discount credits it back instead of going through the PG.
func FundWithDiscount(j Journal, pgAccount string, discount int64) Journal {
	return movePart(j, pgAccount, InstantDiscounts, discount)
}

// SplitDiscount splits the slice [before, before+amount) of a card part that
// was charged charged and discounted discount into what goes back to the
// card and what is the discount's share, in proportion. Cumulative like
// SplitRefund (house-monotone apportionment): refunding the whole card part
// in any number of slices gives back exactly charged to the card and
// reverses exactly discount.
func SplitDiscount(charged, discount, before, amount int64) (toCard, toDiscount int64) {
	if discount <= 0 {
		return amount, 0
	}
	sources := []Item{{Amount: discount}, {Amount: charged}}
	from, to := allocate(sources, before), allocate(sources, before+amount)
	toDiscount = to[0] - from[0]
	return amount - toDiscount, toDiscount
}
