package ledger

// Refunds taking back earned points (issue 15, ADR 0023). All three journals
// are of kind points_reverse or points_shortfall, keyed by the refund.
const (
	KindPointsReverse   = "points_reverse"
	KindPointsShortfall = "points_shortfall"
)

func PointsReverseKey(refundID string) string   { return "refund:" + refundID + ":points-reverse" }
func PointsRestoreKey(refundID string) string   { return "refund:" + refundID + ":points-restore" }
func PointsShortfallKey(refundID string) string { return "refund:" + refundID + ":points-shortfall" }

// ReversePointsJournal takes points back, mirroring the earning: Dr
// points:{customer} for what the customer still had, Dr points:expired for
// what had expired of the earning (the breakage is undone), Cr points:funding.
func ReversePointsJournal(refundID, paymentID, customer, currency string, taken, fromExpired int64) Journal {
	j := Journal{
		Key: PointsReverseKey(refundID), Kind: KindPointsReverse, PaymentID: paymentID,
		Description: "points reversed from " + customer + " by refund " + refundID,
	}
	if taken > 0 {
		j.Postings = append(j.Postings, Posting{Account: Points(customer), Currency: currency, Amount: taken})
	}
	if fromExpired > 0 {
		j.Postings = append(j.Postings, Posting{Account: PointsExpired, Currency: currency, Amount: fromExpired})
	}
	j.Postings = append(j.Postings, Posting{Account: PointsFunding, Currency: currency, Amount: -(taken + fromExpired)})
	return j
}

// RestorePointsJournal gives a failed refund's taken points back: Dr
// points:funding; Cr points:{customer} for what goes back into live buckets,
// Cr points:expired for what came from expired points or whose bucket
// expired meanwhile.
func RestorePointsJournal(refundID, paymentID, customer, currency string, toCustomer, toExpired int64) Journal {
	j := Journal{
		Key: PointsRestoreKey(refundID), Kind: KindPointsReverse, PaymentID: paymentID,
		Description: "points given back to " + customer + ": refund " + refundID + " failed",
		Postings:    []Posting{{Account: PointsFunding, Currency: currency, Amount: toCustomer + toExpired}},
	}
	if toCustomer > 0 {
		j.Postings = append(j.Postings, Posting{Account: Points(customer), Currency: currency, Amount: -toCustomer})
	}
	if toExpired > 0 {
		j.Postings = append(j.Postings, Posting{Account: PointsExpired, Currency: currency, Amount: -toExpired})
	}
	return j
}

// PointsShortfallJournal books the won a refund kept back for points the
// customer had spent: the PG gave back that much less (Dr its receivable,
// undoing that part of the refund's Cr), and the points' cost is recovered
// (Cr points:funding).
func PointsShortfallJournal(refundID, paymentID, pg, currency string, won int64) Journal {
	return Journal{
		Key: PointsShortfallKey(refundID), Kind: KindPointsShortfall, PaymentID: paymentID,
		Description: "refund " + refundID + " kept back for spent points",
		Postings: []Posting{
			{Account: PGReceivable(pg), Currency: currency, Amount: won},
			{Account: PointsFunding, Currency: currency, Amount: -won},
		},
	}
}
