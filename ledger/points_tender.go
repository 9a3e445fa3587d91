package ledger

// Points as a checkout tender (issue 15, ADR 0022). The capture (or refund)
// journal of a payment paid partly with points books that part against
// points:clearing instead of the PG receivable, as the wallet part is booked
// against wallet:{customer}; a journal of its own moves it between the
// customer's points and the clearing, so paysaga verify can tell spent and
// returned points by journal kind. points:clearing nets to zero per payment.
const PointsClearing = "points:clearing"

// Journal kinds of points as a tender.
const (
	KindPointsSpend  = "points_spend"
	KindPointsRefund = "points_refund"
)

// PointsSpendKey is the idempotency key of a payment's points part.
func PointsSpendKey(paymentID string) string { return "payment:" + paymentID + ":points-spend" }

// PointsRefundKey is the idempotency key of the points a refund gives back.
func PointsRefundKey(refundID string) string { return "refund:" + refundID + ":points-return" }

// SpendPointsJournal takes a payment's points part from the customer:
// Dr points:{customer}, Cr points:clearing.
func SpendPointsJournal(paymentID, customer, currency string, points int64) Journal {
	return Journal{
		Key: PointsSpendKey(paymentID), Kind: KindPointsSpend, PaymentID: paymentID, Description: "points spent by " + customer,
		Postings: []Posting{
			{Account: Points(customer), Currency: currency, Amount: points},
			{Account: PointsClearing, Currency: currency, Amount: -points},
		},
	}
}

// RefundPointsJournal gives a refund's points part back to the customer:
// Dr points:clearing, Cr points:{customer}.
func RefundPointsJournal(refundID, paymentID, customer, currency string, points int64) Journal {
	return Journal{
		Key: PointsRefundKey(refundID), Kind: KindPointsRefund, PaymentID: paymentID, Description: "points returned to " + customer,
		Postings: []Posting{
			{Account: PointsClearing, Currency: currency, Amount: points},
			{Account: Points(customer), Currency: currency, Amount: -points},
		},
	}
}

// FundWithPoints moves points of the journal's posting to pgAccount onto
// points:clearing, keeping its sign (FundWithWallet's twin): the capture
// debits the clearing for the points part, a refund credits it. A posting
// brought to zero is dropped.
func FundWithPoints(j Journal, pgAccount string, points int64) Journal {
	if points == 0 {
		return j
	}
	postings := make([]Posting, 0, len(j.Postings)+1)
	var sign int64 = 1
	currency := ""
	for _, p := range j.Postings {
		if p.Account == pgAccount {
			if p.Amount < 0 {
				sign = -1
			}
			currency = p.Currency
			p.Amount -= sign * points
			if p.Amount == 0 {
				continue
			}
		}
		postings = append(postings, p)
	}
	j.Postings = append(postings, Posting{Account: PointsClearing, Currency: currency, Amount: sign * points})
	return j
}
