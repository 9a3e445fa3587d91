package apportion

// Tenders splits the slice [before, before+amount) of a payment over the
// tenders that funded it (weights: each tender's part of the payment, in a
// fixed order) as Allocate(after) - Allocate(before). Allocate is
// house-monotone, so no tender's share is negative, the shares add up to
// amount, and any number of slices that together cover the payment give each
// tender back exactly its part (ADR 0004, ADR 0022). A tender of weight 0 gets
// nothing and leaves the others' shares as they were without it.
func Tenders(weights []int64, before, amount int64) []int64 {
	from, to := Allocate(weights, before), Allocate(weights, before+amount)
	for i := range to {
		to[i] -= from[i]
	}
	return to
}
