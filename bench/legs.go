package bench

import (
	"fmt"
	"io"
)

// LegStats are one server's open-loop figures: the checkout and the bare
// workflow at the same rate on it.
type LegStats struct {
	Name           string // the server and its durability
	Checkout, Bare Stats
}

// ReportLegs prints each server's checkout and bare figures and their ratios
// on one line, so the durable floors read beside the one with no durability.
func ReportLegs(w io.Writer, legs []LegStats) {
	fmt.Fprintf(w, "%-36s %21s %21s %13s %11s\n", "server", "checkout p50 / p99", "bare p50 / p99", "ratio p99", "errors c/b")
	for _, l := range legs {
		fmt.Fprintf(w, "%-36s %10s / %8s %10s / %8s %12.2fx %5d / %d\n", l.Name,
			ms(l.Checkout.P50), ms(l.Checkout.P99), ms(l.Bare.P50), ms(l.Bare.P99),
			float64(l.Checkout.P99)/float64(l.Bare.P99), l.Checkout.Errors, l.Bare.Errors)
	}
}
