package apportion

// Points earned on a card amount and taken back by its refunds (issue 15,
// ADR 0023). An earning of earned points on base won of card is reversed in
// proportion to the card refunded of it, cumulatively: a refund covering
// [from, to) of the base takes PointsReversed(to) - PointsReversed(from), so
// slices add up to exactly the earning once the whole base is refunded.

// PointsReversed is how many of earned points the first refunded won of base
// take back: earned·refunded/base rounded down (the customer keeps the
// fraction until the last slice), all of them once refunded reaches base.
func PointsReversed(earned, base, refunded int64) int64 {
	if earned <= 0 || base <= 0 || refunded <= 0 {
		return 0
	}
	if refunded >= base {
		return earned
	}
	return mulDiv(earned, refunded, base)
}

// PointsToReverse is what a refund covering [from, to) of base takes back of
// earned when reversedSoFar were taken back before: the cumulative
// difference, never more than is left, and all that is left when the refund
// reaches the end of the base (so a released refund's gap cannot leave a
// point behind).
func PointsToReverse(earned, base, from, to, reversedSoFar int64) int64 {
	left := earned - reversedSoFar
	if left <= 0 || to <= from {
		return 0
	}
	if to >= base {
		return left
	}
	return min(PointsReversed(earned, base, to)-PointsReversed(earned, base, from), left)
}

// Meet takes due from the sources in order, each at most what it holds, and
// answers what it took of each and what none of them covered.
func Meet(due int64, sources ...int64) (taken []int64, rest int64) {
	taken = make([]int64, len(sources))
	rest = max(due, 0)
	for i, s := range sources {
		taken[i] = min(rest, max(s, 0))
		rest -= taken[i]
	}
	return taken, rest
}
