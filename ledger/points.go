package ledger

import "strconv"

// Points accounts. points:{customer} is what we owe the customer in points (a
// liability like the wallet: its balance is minus the raw sum); points:funding
// is the merchant's cost of the points it issued; points:expired is the
// breakage, points that expired unspent.
const (
	PointsFunding = "points:funding"
	PointsExpired = "points:expired"
)

func Points(customer string) string { return "points:" + customer }

// Journal kinds of points; paysaga verify balances each customer's account by them.
const (
	KindPointsEarn   = "points_earn"
	KindPointsExpire = "points_expire"
)

// PointsEarned is bps basis points of amount, rounded down: never more than the rate.
func PointsEarned(amount, bps int64) int64 {
	if amount <= 0 || bps <= 0 {
		return 0
	}
	return mulDiv(amount, bps, 10_000)
}

// PointsEarnKey is the idempotency key of the points a payment earned.
func PointsEarnKey(paymentID string) string { return "payment:" + paymentID + ":points-earn" }

// EarnPointsJournal credits points to the customer: Dr points:funding, Cr points:{customer}.
func EarnPointsJournal(key, paymentID, customer, currency string, points int64) Journal {
	return Journal{
		Key: key, Kind: KindPointsEarn, PaymentID: paymentID, Description: "points earned by " + customer,
		Postings: []Posting{
			{Account: PointsFunding, Currency: currency, Amount: points},
			{Account: Points(customer), Currency: currency, Amount: -points},
		},
	}
}

// PointsItemEarnKey is the idempotency key of the points one confirmed item earned.
func PointsItemEarnKey(paymentID, producerID string) string {
	return "payment:" + paymentID + ":item:" + producerID + ":points-earn"
}

// PointsExpireKey is the idempotency key of a bucket's expiry.
func PointsExpireKey(bucketID int64) string {
	return "points:bucket:" + strconv.FormatInt(bucketID, 10) + ":expire"
}

// ExpirePointsJournal takes a bucket's unspent points back: Dr points:{customer}, Cr points:expired.
func ExpirePointsJournal(bucketID int64, customer, currency string, points int64) Journal {
	return Journal{
		Key: PointsExpireKey(bucketID), Kind: KindPointsExpire, Description: "points expired for " + customer,
		Postings: []Posting{
			{Account: Points(customer), Currency: currency, Amount: points},
			{Account: PointsExpired, Currency: currency, Amount: -points},
		},
	}
}
