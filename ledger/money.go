package ledger

import (
	"fmt"
	"math/bits"

	"github.com/paysaga/paysaga/apportion"
)

// Item is one producer's share of a payment and the platform fee taken from it.
type Item struct {
	ProducerID string
	Amount     int64
	Fee        int64
}

// Fee is the platform fee on amount at bps basis points, rounded down (in the
// producer's favour). Exact for any amount and rate: the product is 128-bit.
func Fee(amount, bps int64) int64 {
	if amount <= 0 || bps <= 0 {
		return 0
	}
	return mulDiv(amount, bps, 10_000)
}

// mulDiv returns floor(a*b/c) for non-negative a, b and positive c with a*b/c
// fitting int64, without the overflow of a plain a*b.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		panic(fmt.Sprintf("mulDiv(%d, %d, %d) overflows", a, b, c))
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// CaptureJournal books a captured card/bank payment: the PG owes us the amount,
// each producer is owed its share less the fee, the fees are revenue.
// Example (DESIGN.md): 15,000 for producer A at 3% -> Dr pg 15,000; Cr A 14,550; Cr fees 450.
func CaptureJournal(paymentID, pg, currency string, items []Item) Journal {
	var total, fees int64
	postings := make([]Posting, 0, len(items)+2)
	for _, it := range items {
		total += it.Amount
		fees += it.Fee
	}
	postings = append(postings, Posting{Account: PGReceivable(pg), Currency: currency, Amount: total})
	for _, it := range items {
		if net := it.Amount - it.Fee; net != 0 {
			postings = append(postings, Posting{Account: ProducerPayable(it.ProducerID), Currency: currency, Amount: -net})
		}
	}
	if fees != 0 {
		postings = append(postings, Posting{Account: RevenueFees, Currency: currency, Amount: -fees})
	}
	return Journal{
		Key:         "payment:" + paymentID + ":capture",
		Kind:        "payment_capture",
		PaymentID:   paymentID,
		Description: "capture via " + pg,
		Postings:    postings,
	}
}

// RefundJournal reverses the slice [before, before+amount) of a payment's total,
// spread over its items in proportion to their amounts (and fees). Each slice is
// the difference of a cumulative allocation, so however a payment is refunded in
// parts, refunding all of it reverses the capture exactly, to the won.
func RefundJournal(refundID, paymentID, pg, currency string, items []Item, before, amount int64) Journal {
	from := allocate(items, before)
	to := allocate(items, before+amount)
	postings := []Posting{{Account: PGReceivable(pg), Currency: currency, Amount: -amount}}
	var feeBack int64
	for i, it := range items {
		feeFrom, feeTo := feeShare(it, from[i]), feeShare(it, to[i])
		if net := (to[i] - feeTo) - (from[i] - feeFrom); net != 0 {
			postings = append(postings, Posting{Account: ProducerPayable(it.ProducerID), Currency: currency, Amount: net})
		}
		feeBack += feeTo - feeFrom
	}
	if feeBack != 0 {
		postings = append(postings, Posting{Account: RevenueFees, Currency: currency, Amount: feeBack})
	}
	return Journal{
		Key:         "refund:" + refundID,
		Kind:        "payment_refund",
		PaymentID:   paymentID,
		Description: "refund via " + pg,
		Postings:    postings,
	}
}

// feeShare is the part of an item's fee that belongs to the first alloc of its amount.
func feeShare(it Item, alloc int64) int64 {
	if it.Amount == 0 {
		return 0
	}
	return mulDiv(it.Fee, alloc, it.Amount)
}

// allocate splits t (0 <= t <= total of items) over items in proportion to
// their amounts, house-monotone (apportion.Allocate): a larger t never gives an
// item less, so no refund slice takes money from a producer. Deterministic.
func allocate(items []Item, t int64) []int64 {
	weights := make([]int64, len(items))
	for i, it := range items {
		weights[i] = it.Amount
	}
	return apportion.Allocate(weights, t)
}

// BankPayouts is the account money paid out to producers' banks leaves through.
const BankPayouts = "bank:payouts"

// PayoutJournal books a transfer to a producer: what we owed it (its payable)
// went out through the bank. Key payout:{producer}:{period}: once per period.
func PayoutJournal(producerID, period, currency string, amount int64) Journal {
	return Journal{
		Key:         PayoutKey(producerID, period),
		Kind:        "payout",
		Description: "payout " + period + " to " + producerID,
		Postings: []Posting{
			{Account: ProducerPayable(producerID), Currency: currency, Amount: amount},
			{Account: BankPayouts, Currency: currency, Amount: -amount},
		},
	}
}

// PayoutKey is the idempotency key of a producer's payout for a period, used for
// the bank transfer and the journal alike.
func PayoutKey(producerID, period string) string { return "payout:" + producerID + ":" + period }
