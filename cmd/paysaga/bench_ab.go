package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/bench"
	"github.com/paysaga/paysaga/config"
)

// abTuning is -ab: "NAME=V,NAME=V" over the worker and pool variables
// (config.WorkerTuning), read as paysaga reads its environment.
func abTuning(spec string) (config.WorkerTuning, error) {
	env := map[string]string{}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return config.WorkerTuning{}, fmt.Errorf("-ab %q: want NAME=VALUE,...", kv)
		}
		if !strings.HasPrefix(k, "PAYSAGA_WORKER_") && k != "PAYSAGA_DB_MAX_CONNS" {
			return config.WorkerTuning{}, fmt.Errorf("-ab %s: only PAYSAGA_WORKER_* and PAYSAGA_DB_MAX_CONNS", k)
		}
		// The SDK keeps one sticky cache per process: both apps share it.
		if k == "PAYSAGA_WORKER_STICKY_CACHE" {
			return config.WorkerTuning{}, fmt.Errorf("-ab %s: one cache per process, so the two apps of one run cannot differ in it", k)
		}
		env[k] = v
	}
	c, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return c.Worker, err
}

// abWorker starts a second paysaga (API + worker, its own task queue, port and
// pool) on the same PostgreSQL, Temporal server and sandbox with the tuning
// of -ab, and measures both apps' checkouts -repeat times, alternating which
// goes first, in one run: the A/B of issue 19's worker and pool options.
func abWorker(ctx context.Context, cfg config.Config, log zerolog.Logger, d *driver, ba benchArgs) error {
	tuning, err := abTuning(ba.ab)
	if err != nil {
		return err
	}
	bcfg := cfg
	bcfg.Worker = tuning
	bcfg.TaskQueue = cfg.TaskQueue + "-b"
	_, apiPort, err := freePorts()
	if err != nil {
		return err
	}
	bcfg.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", apiPort)
	b, err := app.Start(ctx, bcfg, log, app.Parts{API: true, Worker: true})
	if err != nil {
		return fmt.Errorf("app B: %w", err)
	}
	defer b.Close()
	go func() { _ = b.Serve(ctx) }()
	bd, err := newDriver("http://"+bcfg.HTTPAddr, d.hc)
	if err != nil {
		return err
	}
	if err := bd.waitReady(ctx); err != nil {
		return err
	}
	if err := bd.setup(ctx, cfg.SimURL); err != nil {
		return err
	}
	A := bench.Variant{Name: "A", Checkout: d.checkout}
	B := bench.Variant{Name: "B", Checkout: bd.checkout}
	fmt.Printf("bench: A/B on one server, %d times: A = %+v, B = %+v (%s); %d sequential, %d at %d concurrent each\n",
		ba.repeat, cfg.Worker, tuning, ba.ab, ba.seq, ba.total, ba.workers)
	var lines []string
	for r := range ba.repeat {
		first, second := A, B
		if r%2 == 1 {
			first, second = B, A
		}
		st, err := bench.Compare(ctx, bench.CompareOptions{A: first, B: second, Sequential: ba.seq, Total: ba.total, Workers: ba.workers, Out: os.Stdout})
		if err != nil {
			return err
		}
		if r%2 == 1 { // Compare's order is first, second: put A before B again
			st = []bench.Stats{st[1], st[0], st[3], st[2]}
		}
		lines = append(lines, fmt.Sprintf("repeat %d (%s first): B/A sequential p50 %.2fx p99 %.2fx; %d concurrent p50 %.2fx p99 %.2fx throughput %.2fx",
			r+1, first.Name, ratio(st[1].P50, st[0].P50), ratio(st[1].P99, st[0].P99), ba.workers,
			ratio(st[3].P50, st[2].P50), ratio(st[3].P99, st[2].P99), st[3].Throughput/st[2].Throughput))
	}
	fmt.Println(strings.Join(lines, "\n"))
	return nil
}

func ratio[T ~int64](a, b T) float64 { return float64(a) / float64(b) }
