package bench

import (
	"context"
	"fmt"
	"io"
)

// Variant is one way of paying a checkout, under a name for the report.
type Variant struct {
	Name     string
	Checkout func(ctx context.Context, n int) error
}

// CompareOptions are two variants of the checkout measured on one server in
// one run (e.g. the default connectors against the paysaga protocol), so
// their ratio does not depend on how busy the machine was between two runs.
type CompareOptions struct {
	A, B       Variant
	Sequential int
	Total      int
	Workers    int
	Out        io.Writer
}

// Compare warms both variants, then measures A and B sequentially and at
// concurrency, alternating which goes first so a drift in the machine's load
// does not favour one; it prints the runs and the ratios A / B.
func Compare(ctx context.Context, o CompareOptions) ([]Stats, error) {
	for i := range 20 {
		if err := o.A.Checkout(ctx, -1-i); err != nil {
			return nil, fmt.Errorf("warm %s: %w", o.A.Name, err)
		}
		if err := o.B.Checkout(ctx, -1-i); err != nil {
			return nil, fmt.Errorf("warm %s: %w", o.B.Name, err)
		}
	}
	run := func(v Variant, label string, n, workers, offset int) Stats {
		return measure(ctx, v.Name+" "+label, n, workers, func(ctx context.Context, i int) error { return v.Checkout(ctx, offset+i) })
	}
	conc := fmt.Sprintf("%d concurrent", o.Workers)
	seqA := run(o.A, "sequential", o.Sequential, 1, 0)
	seqB := run(o.B, "sequential", o.Sequential, 1, 0)
	concB := run(o.B, conc, o.Total, o.Workers, o.Sequential)
	concA := run(o.A, conc, o.Total, o.Workers, o.Sequential)
	stats := []Stats{seqA, seqB, concA, concB}
	report(o.Out, stats)
	return stats, nil
}
