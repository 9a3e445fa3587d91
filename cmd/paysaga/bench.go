package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	temporalclient "go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/bench"
	"github.com/paysaga/paysaga/client"
	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/devstack"
	"github.com/paysaga/paysaga/providersim"
)

const benchKey = "bench-app-key"

// runBench starts throwaway services, the sandbox and paysaga (API + worker in
// one process, as `make dev` runs it), then measures checkouts over HTTP against
// a bare workflow on the same Temporal server.
func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	seq := fs.Int("n", 200, "checkouts in the sequential run")
	total := fs.Int("total", 1000, "checkouts in the concurrent run")
	workers := fs.Int("c", 50, "concurrency of the concurrent run")
	producers := fs.Int("payouts", 0, "instead, run one payout over this many producers (ledger seeded directly)")
	noFanout := fs.Bool("no-fanout", false, "with -payouts: skip the bare fan-out floor (a quicker look while tuning; no ratio)")
	mixed := fs.Bool("mixed", false, "instead, a mixed load of -total requests at -c: card and split checkouts, top-ups, refunds")
	explain := fs.Int("explain", 0, "instead, N sequential checkouts of each kind (card, split, wallet): per checkout, PostgreSQL round trips and transactions, provider calls, activities, history events")
	reportDir := fs.String("report", filepath.Join(stateDir(), "bench"), "with -mixed: where bench-mixed.json and bench-mixed.html go")
	payoutFloor := fs.Int("payout-floor", 500, "after the checkout figures, a payout run over this many producers beside the bare child-workflow fan-out of as many (issue 19's payouts/s floor); 0 skips it")
	floor := fs.Duration("floor", 5*time.Second, "how long each PostgreSQL floor runs (pgbench TPC-B and ledger postings at 1, 8, 32 connections); 0 skips them")
	rate := fs.Float64("rate", 0, "instead, the open-loop load: checkouts started at this rate per second for -duration, then the bare workflow at the same rate")
	duration := fs.Duration("duration", time.Minute, "with -rate: how long each paced run lasts")
	poolConns := fs.Int("pool", 0, "paysaga's pgx pool size (pool_max_conns on DATABASE_URL); 0 keeps pgx's default, max(4, CPUs)")
	durable := fs.Bool("durable", false, "every store syncs its commits: PostgreSQL with fsync on, the dev server on its SQLite file (see -sqlite), as `make dev` runs them (default: fsync off, the dev server in memory); with -topology both and -rate: the dev server in memory, on its file, and the Temporal server on PostgreSQL, one after the other")
	sqlite := fs.String("sqlite", devstack.SQLiteDurable.String(), "with -durable: how the dev server's SQLite file commits: wal (WAL, synchronous=full: survives a power loss), wal-normal (WAL, synchronous=normal: survives a process crash, not a power loss), default (SQLite's rollback journal)")
	topology := fs.String("topology", topologyDev, "dev: the Temporal dev server; prod: the Temporal server on PostgreSQL; both: dev then prod in one run")
	ab := fs.String("ab", "", "instead, A/B of the worker and pool options: a second app with these variables (\"PAYSAGA_WORKER_WORKFLOW_POLLERS=8,PAYSAGA_DB_MAX_CONNS=16\") beside one with the defaults, -n sequential and -total at -c each, -repeat times alternating which goes first")
	repeat := fs.Int("repeat", 2, "with -ab: how many times the A/B runs")
	compare := fs.Bool("compare-protocols", false, "instead, checkouts through the default connectors (Toss, PortOne) against the same checkouts through the sandbox's paysaga protocol, two apps on one server in one run: the protocols' cost ratio")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of paysaga (API, worker and sandbox) over the bench to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	mode, err := devstack.ParseSQLiteMode(*sqlite)
	if err != nil {
		return err
	}
	ba := benchArgs{compare: *compare, seq: *seq, total: *total, workers: *workers, producers: *producers, mixed: *mixed, explain: *explain, reportDir: *reportDir, floor: *floor, payoutFloor: *payoutFloor, noFanout: *noFanout, rate: *rate, duration: *duration, pool: *poolConns, ab: *ab, repeat: *repeat}
	d := durability{on: *durable, sqlite: mode}
	if *topology != "both" {
		_, err := benchOn(ctx, *topology, d, ba)
		return err
	}
	return benchLegs(ctx, benchLegsFor(d, ba.rate > 0), ba)
}

// benchLeg is one topology at one durability, on services of its own.
type benchLeg struct {
	topology string
	d        durability
}

func (l benchLeg) String() string {
	switch {
	case l.topology == topologyProd && l.d.on:
		return "Temporal on PostgreSQL (fsync on)"
	case l.topology == topologyProd:
		return "Temporal on PostgreSQL (fsync off)"
	case l.d.on:
		return "dev server, SQLite file (" + l.d.sqlite.String() + ")"
	}
	return "dev server in memory"
}

// benchLegsFor is -topology both: dev then prod; a durable open loop also
// runs the in-memory dev server first, so the durable floors print beside
// the figure with no durability (issue 19, item 5).
func benchLegsFor(d durability, paced bool) []benchLeg {
	legs := []benchLeg{{topologyDev, d}, {topologyProd, d}}
	if d.on && paced {
		legs = append([]benchLeg{{topologyDev, durability{}}}, legs...)
	}
	return legs
}

// benchLegs runs each leg on fresh services and, for the open loop, prints
// every leg's checkout and bare figures side by side at the end.
func benchLegs(ctx context.Context, legs []benchLeg, ba benchArgs) error {
	var rows []bench.LegStats
	for _, l := range legs {
		fmt.Printf("\n== topology %s: %s ==\n", l.topology, l)
		stats, err := benchOn(ctx, l.topology, l.d, ba)
		if err != nil {
			return fmt.Errorf("topology %s (%s): %w", l.topology, l, err)
		}
		if len(stats) == 2 {
			rows = append(rows, bench.LegStats{Name: l.String(), Checkout: stats[0], Bare: stats[1]})
		}
	}
	if len(rows) > 0 {
		fmt.Println()
		bench.ReportLegs(os.Stdout, rows)
	}
	return nil
}

// benchOn is one bench on fresh services of the topology: checkouts and the
// bare workflow share its Temporal server, so their ratio is the app's cost.
// With -rate it returns the paced runs' figures (checkout, bare).
func benchOn(ctx context.Context, topology string, dur durability, ba benchArgs) ([]bench.Stats, error) {
	var paced []bench.Stats
	err := benchOnInto(ctx, topology, dur, ba, &paced)
	return paced, err
}

func benchOnInto(ctx context.Context, topology string, dur durability, ba benchArgs, paced *[]bench.Stats) error {
	seq, total, workers, producers, mixed, reportDir := &ba.seq, &ba.total, &ba.workers, &ba.producers, &ba.mixed, &ba.reportDir
	svc, err := startServicesWith(ctx, filepath.Join(stateDir(), "bench"), topology, dur)
	if err != nil {
		return err
	}
	defer svc.stop()

	cfg := config.Default()
	cfg.DatabaseURL, cfg.TemporalAddress = svc.pg.URL, svc.address
	if ba.pool > 0 {
		cfg.DatabaseURL += fmt.Sprintf("&pool_max_conns=%d", ba.pool) // the URL carries sslmode already
	}
	cfg.CodecKeys, cfg.CodecAddr = codec.NewKey("bench"), "" // payloads encrypted, as in production
	cfg.RateLimit = 0                                        // one key drives the whole load
	cfg.WalletCap, cfg.WalletDailyTopUp = 1<<40, 1<<40       // the mixed load tops up without end
	cfg.WalletTopUpsPerHour = 0                              // nor a velocity limit
	cfg.WebhookAllowInternal = ba.explain > 0                // -explain's webhook receiver is on loopback
	simPort, apiPort, err := freePorts()
	if err != nil {
		return err
	}
	cfg.SimAddr = fmt.Sprintf("127.0.0.1:%d", simPort)
	cfg.SimURL = "http://" + cfg.SimAddr
	cfg.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", apiPort)
	// The sandbox's PG and bank webhooks go to this bench's API, never to a
	// `make dev` stack on the default address.
	cfg.SimWebhookURL = "http://" + cfg.HTTPAddr + "/v1/webhooks"
	log := newLogger("warn")
	sims, dbc := &providerCounter{}, bench.NewDBCounter()
	go func() { _ = serveSimWrapped(ctx, cfg, log, sims.wrap) }()
	parts := app.Parts{API: true, Worker: true}
	if ba.explain > 0 {
		parts.DBTracer = dbc
	}
	a, err := app.Start(ctx, cfg, log, parts)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "bench", benchKey); err != nil {
		return err
	}
	go func() { _ = a.Serve(ctx) }()
	if *producers > 0 {
		o := payoutBench(a, cfg, *producers)
		o.NoFloor = ba.noFanout
		_, err := bench.RunPayouts(ctx, o)
		return err
	}

	d, err := newDriver("http://"+cfg.HTTPAddr, &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *workers * 2},
	})
	if err != nil {
		return err
	}
	if err := d.waitReady(ctx); err != nil {
		return err
	}
	if err := d.setup(ctx, cfg.SimURL); err != nil {
		return err
	}
	if ba.explain > 0 {
		return explainOn(ctx, d, a.Temporal, svc.pg.URL, cfg.SimURL, dbc, sims, ba.explain)
	}
	if ba.rate > 0 {
		fmt.Printf("bench: open loop, %.0f checkouts/s for %s (one customer, relay on), then the bare workflow at the same rate; %s\n",
			ba.rate, ba.duration, benchLeg{topology, dur})
		*paced, err = bench.RunPaced(ctx, bench.Options{Checkout: d.checkout, Temporal: a.Temporal, TaskQueue: "bench-bare", Out: os.Stdout, Meters: svc.meters(), PGURL: svc.pg.URL}, ba.rate, ba.duration)
		return err
	}
	if *mixed {
		return benchMixed(ctx, d, cfg.SimURL, *total, *workers, *reportDir)
	}
	if ba.compare {
		return compareProtocols(ctx, cfg, log, d, ba)
	}
	if ba.ab != "" {
		return abWorker(ctx, cfg, log, d, ba)
	}
	fmt.Printf("bench: %d sequential, %d at %d concurrent; checkout = POST /v1/checkouts (card, 2 items), bare = 3 no-op local activities\n",
		*seq, *total, *workers)
	if _, err = bench.Run(ctx, bench.Options{
		Checkout: d.checkout, Temporal: a.Temporal, TaskQueue: "bench-bare",
		Sequential: *seq, Total: *total, Workers: *workers, Out: os.Stdout,
	}); err != nil {
		return err
	}
	if ba.floor > 0 {
		floors, err := bench.MeasureDBFloors(ctx, svc.pg.URL, ba.floor)
		if err != nil {
			return err
		}
		floors.Report(os.Stdout)
	}
	if ba.payoutFloor <= 0 {
		return nil
	}
	fmt.Printf("payouts: one run over %d producers, then the bare fan-out of as many children (-payout-floor)\n", ba.payoutFloor)
	_, err = bench.RunPayouts(ctx, payoutBench(a, cfg, ba.payoutFloor))
	return err
}

// payoutBench is a payout run over n producers on the bench's app; transfers
// are counted at the sandbox bank.
func payoutBench(a *app.App, cfg config.Config, n int) bench.PayoutOptions {
	sim := providersim.NewAdminClient(cfg.SimURL, nil)
	return bench.PayoutOptions{
		Pool: a.Pool, Temporal: a.Temporal, TaskQueue: cfg.TaskQueue, Producers: n, PII: a.PII, Out: os.Stdout,
		Transfers: func(ctx context.Context) (int, error) {
			recs, err := sim.Records(ctx, providersim.RecordFilter{Provider: "bank", Kind: "transfer"})
			return len(recs), err
		},
	}
}

type benchArgs struct {
	seq, total, workers, producers, explain int
	mixed, compare                          bool
	reportDir                               string
	floor                                   time.Duration
	payoutFloor                             int
	noFanout                                bool
	rate                                    float64
	duration                                time.Duration
	pool                                    int
	ab                                      string // -ab: B's tuning
	repeat                                  int
}

func explainOn(ctx context.Context, d *driver, tc temporalclient.Client, dbURL, simURL string, dbc *bench.DBCounter, sims *providerCounter, n int) error {
	w, err := d.walletCustomer(ctx, simURL)
	if err != nil {
		return err
	}
	quiet, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("explain pool: %w", err)
	}
	defer quiet.Close()
	e := &explainer{d: d, w: w, dbc: dbc, sim: sims, temporal: tc, quiet: quiet, n: n}
	return e.explain(ctx)
}

func freePorts() (int, int, error) {
	a, err := devstack.FreePort()
	if err != nil {
		return 0, 0, err
	}
	b, err := devstack.FreePort()
	return a, b, err
}

// driver is the app's side of the bench: one customer with one card, talking
// to the API through the generated client.
type driver struct {
	base               string
	hc                 *http.Client
	api                *client.Client
	customer, methodID string
}

func newDriver(base string, hc *http.Client) (*driver, error) {
	api, err := client.NewClient(base, client.WithHTTPClient(hc), client.WithAPIKey(benchKey))
	if err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	return &driver{base: base, hc: hc, api: api}, nil
}

func (d *driver) waitReady(ctx context.Context) error {
	for range 100 {
		if _, _, err := d.call(func() (*http.Response, error) { return d.api.GetHealth(ctx) }); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("api at %s did not come up", d.base)
}

func (d *driver) setup(ctx context.Context, simURL string) error {
	status, body, err := d.call(func() (*http.Response, error) {
		return d.api.CreateCustomer(ctx, client.CreateCustomerJSONRequestBody{ExternalId: fmt.Sprintf("bench-%d", time.Now().UnixNano()), Name: "bench"})
	})
	if err != nil || status != 201 {
		return fmt.Errorf("create customer: %d %s %v", status, body, err)
	}
	d.customer = body["id"].(string)
	authKey, err := providersim.NewAdminClient(simURL, d.hc).Tokenize(ctx, providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	if err != nil {
		return err
	}
	status, body, err = d.call(func() (*http.Response, error) { return d.registerCard(ctx, d.customer, authKey) })
	if err != nil || status != 201 {
		return fmt.Errorf("register card: %d %s %v", status, body, err)
	}
	d.methodID = body["id"].(string)
	return nil
}

func (d *driver) checkout(ctx context.Context, n int) error {
	order := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), n)
	status, body, err := d.call(func() (*http.Response, error) { return d.pay(ctx, order, d.customer, d.methodID, 0) })
	if err != nil {
		return err
	}
	if status != 201 || body["status"] != "succeeded" {
		return fmt.Errorf("checkout %s: %d %v", order, status, body)
	}
	return nil
}

// call makes one request and decodes the JSON answer.
func (d *driver) call(send func() (*http.Response, error)) (int, map[string]any, error) {
	res, err := send()
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, nil
}

// pay checks out 15,000 for two producers under the order id as Idempotency-Key;
// walletAmount > 0 pays that part from the wallet.
func (d *driver) pay(ctx context.Context, order, customer, method string, walletAmount int64) (*http.Response, error) {
	var payment client.CheckoutPayment
	if method != "" { // absent when the wallet pays it all
		payment.MethodId = &method
	}
	if walletAmount > 0 {
		payment.WalletAmount = &walletAmount
	}
	return d.api.CreateCheckout(ctx, &client.CreateCheckoutParams{IdempotencyKey: order}, client.CreateCheckoutJSONRequestBody{
		OrderId: order, CustomerId: customer, Currency: "KRW", Amount: 15000,
		Items:   []client.CheckoutItem{{ProducerId: "farm-a", Amount: 10000}, {ProducerId: "farm-b", Amount: 5000}},
		Payment: payment,
	})
}

func (d *driver) registerCard(ctx context.Context, customer, authKey string) (*http.Response, error) {
	return d.api.CreatePaymentMethod(ctx, customer, nil,
		client.CreatePaymentMethodJSONRequestBody{Type: client.CreatePaymentMethodRequestTypeCard, PgAuthKey: &authKey})
}

// compareProtocols starts a second paysaga (API + worker, its own task queue
// and port) on the same PostgreSQL, Temporal server and sandbox, whose PGs
// speak the sandbox's paysaga protocol, and measures both apps' checkouts in
// one run: issue 12's "a protocol change costs at most 10% at p50".
func compareProtocols(ctx context.Context, cfg config.Config, log zerolog.Logger, d *driver, ba benchArgs) error {
	pcfg := cfg
	pcfg.PGConnectors = map[string]string{}
	for _, name := range cfg.PGs() {
		pcfg.PGConnectors[name] = config.ConnectorPaysaga
	}
	pcfg.TaskQueue = cfg.TaskQueue + "-paysaga-protocol"
	_, apiPort, err := freePorts()
	if err != nil {
		return err
	}
	pcfg.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", apiPort)
	pa, err := app.Start(ctx, pcfg, log, app.Parts{API: true, Worker: true})
	if err != nil {
		return fmt.Errorf("paysaga-protocol app: %w", err)
	}
	defer pa.Close()
	go func() { _ = pa.Serve(ctx) }()
	pd, err := newDriver("http://"+pcfg.HTTPAddr, d.hc)
	if err != nil {
		return err
	}
	if err := pd.waitReady(ctx); err != nil {
		return err
	}
	if err := pd.setup(ctx, cfg.SimURL); err != nil {
		return err
	}
	fmt.Printf("bench: protocols compared on one server: %d sequential, %d at %d concurrent; checkout = POST /v1/checkouts (card, 2 items)\n",
		ba.seq, ba.total, ba.workers)
	_, err = bench.Compare(ctx, bench.CompareOptions{
		A:          bench.Variant{Name: "toss+portone", Checkout: d.checkout},
		B:          bench.Variant{Name: "paysaga-proto", Checkout: pd.checkout},
		Sequential: ba.seq, Total: ba.total, Workers: ba.workers, Out: os.Stdout,
	})
	return err
}

// startCPUProfile profiles this process (API, worker and sandbox: what paysaga
// itself spends; PostgreSQL and Temporal are other processes) until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
