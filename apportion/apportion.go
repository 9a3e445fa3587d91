// Package apportion splits a whole number of won over weighted parts (the items
// of a payment, its tenders) so that growing the total never shrinks a part.
// Refunds are booked as allocate(after) - allocate(before); only a
// house-monotone allocation makes every such difference non-negative for every
// part, so no refund ever takes money from a producer (ADR 0004).
package apportion

import "math/bits"

// Allocate splits t (0 <= t <= sum of weights) over the weights by the
// Sainte-Laguë (Webster) divisor method: the won are handed out one at a time,
// each to the part with the largest weight/(given+½), ties to the earlier part.
// A divisor method is house-monotone: Allocate(w, t+1)[i] >= Allocate(w, t)[i]
// for every i, so cumulative slices never go negative, and Allocate(w, sum(w))
// is w itself, so a full refund reverses exactly. Weights must be >= 0.
// Computed in O(n·k) for n parts and k the few won that differ from the
// proportional floor, not by handing out t won one by one.
func Allocate(weights []int64, t int64) []int64 {
	out := make([]int64, len(weights))
	var total int64
	for _, w := range weights {
		total += w
	}
	if t <= 0 || total == 0 {
		return out
	}
	if t >= total {
		copy(out, weights)
		return out
	}
	var given int64
	for i, w := range weights {
		out[i] = mulDiv(w, t, total) // the proportional floor: close to the answer
		given += out[i]
	}
	for ; given < t; given++ {
		out[bestNext(weights, out)]++
	}
	// Swap seats while a part's next won ranks above another part's last won:
	// the result is then exactly the first t won of the sequential order.
	for {
		u, v := bestNext(weights, out), worstLast(weights, out)
		if v < 0 || !before(weights, u, out[u]+1, v, out[v]) {
			return out
		}
		out[u]++
		out[v]--
	}
}

// bestNext is the part whose next won ranks first.
func bestNext(w, a []int64) int {
	best := -1
	for i := range w {
		if w[i] == 0 {
			continue
		}
		if best < 0 || before(w, i, a[i]+1, best, a[best]+1) {
			best = i
		}
	}
	return best
}

// worstLast is the part whose last won given ranks last; -1 when none is given.
func worstLast(w, a []int64) int {
	worst := -1
	for i := range w {
		if a[i] == 0 {
			continue
		}
		if worst < 0 || before(w, worst, a[worst], i, a[i]) {
			worst = i
		}
	}
	return worst
}

// before reports whether won j of part i ranks before won l of part k: its
// priority w[i]/(j-½) is higher, or equal and i is the earlier part. Compared
// as w[i]·(2l-1) > w[k]·(2j-1) in 128 bits, so no amount overflows.
func before(w []int64, i int, j int64, k int, l int64) bool {
	ah, al := bits.Mul64(uint64(w[i]), uint64(2*l-1))
	bh, bl := bits.Mul64(uint64(w[k]), uint64(2*j-1))
	if ah != bh {
		return ah > bh
	}
	if al != bl {
		return al > bl
	}
	return i < k
}

// mulDiv is floor(a*b/c) for 0 <= a, b and b < c, exact in 128 bits.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}
