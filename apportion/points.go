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

// Reversal is how points due back are met: taken from the customer's points,
// then a shortfall out of the refund's cash (1 point = 1 won), and what
// neither covers forgiven.
type Reversal struct {
	Taken, Shortfall, Forgiven int64
}

// SplitReversal meets due points from available points first, then from
// cash won of the refund; the rest is forgiven.
func SplitReversal(due, available, cash int64) Reversal {
	if due <= 0 {
		return Reversal{}
	}
	r := Reversal{Taken: min(due, max(available, 0))}
	r.Shortfall = min(due-r.Taken, max(cash, 0))
	r.Forgiven = due - r.Taken - r.Shortfall
	return r
}
