package ledger

// Marketplace settlement (DESIGN.md "Marketplace settlement and tax"): a sale is
// booked to the producer's pending account at capture; when the buyer confirms
// the purchase (구매확정), or it auto-confirms, it moves to payable less the
// platform's commission and the commission's VAT.
//
// Rounding, the same everywhere (capture, confirmation, refunds, statements,
// tax-invoice export, verify): the commission is floor(amount * bps / 10000)
// (Fee) and its VAT is floor(commission / 10) (CommissionVAT); both round down
// to the won, in the producer's favour. A part r of an item's amount carries
// floor(commission * r / amount) of commission and floor(vat * r / amount) of
// VAT (ItemSettlement.share): cumulative, so refunding an item in any number of
// parts, before or after confirmation, reverses exactly what was booked.

const (
	// VATPayable is the VAT on commission the platform owes the tax office.
	VATPayable = "vat:payable"
	// VATRateBPS is Korea's standard VAT rate (10%).
	VATRateBPS = 1_000
)

func ProducerPending(producer string) string { return "producer:" + producer + ":pending" }

// CommissionVAT is the VAT on a commission: 10%, rounded down to the won.
func CommissionVAT(commission int64) int64 {
	if commission <= 0 {
		return 0
	}
	return mulDiv(commission, VATRateBPS, 10_000)
}

// ItemSettlement is one producer's line of a payment as settlement sees it:
// the gross amount, the commission fixed at checkout (Item.Fee) and its VAT.
type ItemSettlement struct {
	ProducerID string
	Amount     int64
	Commission int64
	VAT        int64
	Confirmed  bool // the purchase is confirmed: the item sits in payable, not pending
}

// SettlementOf is the item's settlement figures: VAT from CommissionVAT.
func SettlementOf(it Item, confirmed bool) ItemSettlement {
	return ItemSettlement{ProducerID: it.ProducerID, Amount: it.Amount, Commission: it.Fee, VAT: CommissionVAT(it.Fee), Confirmed: confirmed}
}

// Share is the commission, VAT and producer net carried by the first r of the
// item's amount.
func (s ItemSettlement) Share(r int64) (commission, vat, net int64) {
	if s.Amount == 0 || r == 0 {
		return 0, 0, 0
	}
	commission = mulDiv(s.Commission, r, s.Amount)
	vat = mulDiv(s.VAT, r, s.Amount)
	return commission, vat, r - commission - vat
}

// Owed is what the producer is owed for the item once r of it was refunded:
// all of the rest while pending; the rest less its commission and VAT once
// confirmed. pending + payable + paid of a producer sums to this over its items.
func (s ItemSettlement) Owed(r int64) int64 {
	if !s.Confirmed {
		return s.Amount - r
	}
	_, _, netAll := s.Share(s.Amount)
	_, _, netR := s.Share(r)
	return netAll - netR
}

// PendingCaptureJournal books a captured payment the marketplace way: the PG
// owes us the amount and each producer's gross share is pending until the
// purchase is confirmed. No commission is booked yet.
func PendingCaptureJournal(paymentID, pg, currency string, items []Item) Journal {
	var total int64
	postings := make([]Posting, 0, len(items)+1)
	for _, it := range items {
		total += it.Amount
	}
	postings = append(postings, Posting{Account: PGReceivable(pg), Currency: currency, Amount: total})
	for _, it := range items {
		postings = append(postings, Posting{Account: ProducerPending(it.ProducerID), Currency: currency, Amount: -it.Amount})
	}
	return Journal{
		Key: CaptureKey(paymentID), Kind: "payment_capture", PaymentID: paymentID,
		Description: "capture via " + pg + " (pending confirmation)", Postings: postings,
	}
}

// CaptureKey is the capture journal's idempotency key.
func CaptureKey(paymentID string) string { return "payment:" + paymentID + ":capture" }

// ConfirmKey is the idempotency key of an item's confirmation journal.
func ConfirmKey(paymentID, producerID string) string {
	return "payment:" + paymentID + ":confirm:" + producerID
}

// Confirmation is what confirming an item books, r of it having been refunded
// before: pending (Amount - r) becomes payable net, commission and VAT.
type Confirmation struct {
	Pending, Commission, VAT, Net int64
}

// ConfirmationOf computes the item's confirmation after r refunded.
func ConfirmationOf(s ItemSettlement, r int64) Confirmation {
	cAll, vAll, nAll := s.Share(s.Amount)
	cR, vR, nR := s.Share(r)
	return Confirmation{Pending: s.Amount - r, Commission: cAll - cR, VAT: vAll - vR, Net: nAll - nR}
}

// ConfirmJournal books a confirmation: Dr pending; Cr payable, fees, VAT. It has
// no postings (and must not be posted) when the item was refunded in full.
func ConfirmJournal(paymentID, currency, producerID string, c Confirmation) Journal {
	postings := []Posting{}
	add := func(account string, amount int64) {
		if amount != 0 {
			postings = append(postings, Posting{Account: account, Currency: currency, Amount: amount})
		}
	}
	add(ProducerPending(producerID), c.Pending)
	add(ProducerPayable(producerID), -c.Net)
	add(RevenueFees, -c.Commission)
	add(VATPayable, -c.VAT)
	return Journal{
		Key: ConfirmKey(paymentID, producerID), Kind: "sale_confirmation", PaymentID: paymentID,
		Description: "purchase confirmed for " + producerID, Postings: postings,
	}
}

// SettledRefundJournal reverses the slice [before, before+amount) of a payment
// that settles on confirmation, spread over its items as RefundJournal does. An
// item still pending gives back from pending; a confirmed one gives back its
// net from payable (a negative adjustment of the producer's next settlement,
// carried over if it nets negative) and its commission and VAT shares.
func SettledRefundJournal(refundID, paymentID, pg, currency string, items []ItemSettlement, before, amount int64) Journal {
	plain := make([]Item, len(items))
	for i, it := range items {
		plain[i] = Item{ProducerID: it.ProducerID, Amount: it.Amount}
	}
	from, to := allocate(plain, before), allocate(plain, before+amount)
	postings := []Posting{{Account: PGReceivable(pg), Currency: currency, Amount: -amount}}
	var feeBack, vatBack int64
	for i, it := range items {
		if to[i] == from[i] {
			continue
		}
		if !it.Confirmed {
			postings = append(postings, Posting{Account: ProducerPending(it.ProducerID), Currency: currency, Amount: to[i] - from[i]})
			continue
		}
		c0, v0, n0 := it.Share(from[i])
		c1, v1, n1 := it.Share(to[i])
		if n1 != n0 {
			postings = append(postings, Posting{Account: ProducerPayable(it.ProducerID), Currency: currency, Amount: n1 - n0})
		}
		feeBack += c1 - c0
		vatBack += v1 - v0
	}
	if feeBack != 0 {
		postings = append(postings, Posting{Account: RevenueFees, Currency: currency, Amount: feeBack})
	}
	if vatBack != 0 {
		postings = append(postings, Posting{Account: VATPayable, Currency: currency, Amount: vatBack})
	}
	return Journal{
		Key: "refund:" + refundID, Kind: "payment_refund", PaymentID: paymentID,
		Description: "refund via " + pg, Postings: postings,
	}
}

// RefundedShares is how much of each item the payment's first refunded won
// cover (the same proportional allocation refunds are booked with).
func RefundedShares(items []ItemSettlement, refunded int64) []int64 {
	plain := make([]Item, len(items))
	for i, it := range items {
		plain[i] = Item{ProducerID: it.ProducerID, Amount: it.Amount}
	}
	return allocate(plain, refunded)
}
