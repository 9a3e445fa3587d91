package bench

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
)

// FloorConns are the connection counts of the PostgreSQL floors.
var FloorConns = []int{1, 8, 32}

// DBFloors is PostgreSQL alone on the bench's own server: pgbench's TPC-B and
// the ledger's own posting (journal + three postings + the zero-sum
// constraint trigger at commit), each for the same duration per connection count.
type DBFloors struct {
	Duration time.Duration
	PGBench  map[int]float64 // TPC-B transactions/s by connections
	Ledger   map[int]float64 // journal transactions/s by connections
}

// MeasureDBFloors runs both floors at every FloorConns. pgbench's tables live
// in the bench's throwaway database and are dropped afterwards.
func MeasureDBFloors(ctx context.Context, url string, d time.Duration) (DBFloors, error) {
	f := DBFloors{Duration: d, PGBench: map[int]float64{}, Ledger: map[int]float64{}}
	if out, err := exec.CommandContext(ctx, "pgbench", "-i", "-q", "-s", "8", url).CombinedOutput(); err != nil {
		return f, fmt.Errorf("pgbench -i: %v: %s", err, out)
	}
	defer func() { _ = exec.Command("pgbench", "-i", "-I", "d", url).Run() }()
	for _, c := range FloorConns {
		tps, err := pgbenchTPS(ctx, url, c, d)
		if err != nil {
			return f, err
		}
		f.PGBench[c] = tps
		if f.Ledger[c], err = ledgerRate(ctx, url, c, d); err != nil {
			return f, err
		}
	}
	return f, nil
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbenchTPS runs the built-in TPC-B-like script with prepared statements.
func pgbenchTPS(ctx context.Context, url string, clients int, d time.Duration) (float64, error) {
	out, err := exec.CommandContext(ctx, "pgbench", "-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 2)),
		"-T", strconv.Itoa(int(d.Seconds())), url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench -c %d: %v: %s", clients, err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench -c %d: no tps in %s", clients, out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// ledgerRate posts capture-shaped journals (Dr receivable, Cr payable, Cr fees)
// through paysaga's own queries from conns connections for d.
func ledgerRate(ctx context.Context, url string, conns int, d time.Duration) (float64, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return 0, err
	}
	pc.MaxConns, pc.MinConns = int32(conns), int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return 0, fmt.Errorf("ledger floor pool: %w", err)
	}
	defer pool.Close()
	run := time.Now().UnixNano()
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				if err := postOne(ctx, pool, fmt.Sprintf("floor:%d:%d:%d", run, w, i), int64(10_000+i%1000)); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds(), firstErr
}

func postOne(ctx context.Context, pool *pgxpool.Pool, key string, amount int64) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		id, err := q.InsertJournalTransaction(ctx, db.InsertJournalTransactionParams{IdempotencyKey: key, Kind: "payment_capture",
			PaymentID: pgtype.Text{}, Description: "bench floor"})
		if err != nil {
			return fmt.Errorf("floor journal %s: %w", key, err)
		}
		fee := amount * 3 / 100
		for _, p := range []db.InsertJournalPostingParams{
			{TransactionID: id, Account: "pg:floor:receivable", Currency: "KRW", Amount: amount},
			{TransactionID: id, Account: "producer:floor:payable", Currency: "KRW", Amount: -(amount - fee)},
			{TransactionID: id, Account: "revenue:fees", Currency: "KRW", Amount: -fee},
		} {
			if err := q.InsertJournalPosting(ctx, p); err != nil {
				return fmt.Errorf("floor posting %s: %w", key, err)
			}
		}
		return nil
	})
}

// Report prints the floors and the ledger's ratio to pgbench.
func (f DBFloors) Report(w io.Writer) {
	fmt.Fprintf(w, "floor PostgreSQL alone, %s each (same server):\n", f.Duration)
	fmt.Fprintf(w, "%-6s %14s %20s %8s\n", "conns", "pgbench TPC-B", "ledger journals/s", "ratio")
	for _, c := range FloorConns {
		fmt.Fprintf(w, "%-6d %12.0f/s %18.0f/s %7.2fx\n", c, f.PGBench[c], f.Ledger[c], f.Ledger[c]/f.PGBench[c])
	}
}
