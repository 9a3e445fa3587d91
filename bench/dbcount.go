package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/activity"
)

// DBCounter is a pgx tracer that counts what paysaga asks of PostgreSQL: every
// statement is one round trip (a batch is one), and a transaction is either an
// explicit BEGIN..COMMIT or a statement run outside one (autocommit). The
// relay's idle polls (an empty outbox read in its own transaction) are counted
// apart as background, so a per-checkout figure is the checkout's own cost.
type DBCounter struct {
	mu    sync.Mutex
	open  map[*pgx.Conn]*txTrace
	c     DBCounts
	names map[string]int // round trips by statement name (sqlc's "-- name:")
	txs   map[string]int // transactions by their statements, in order
}

// DBCounts is a snapshot of the counters.
type DBCounts struct {
	RoundTrips   int
	Transactions int
	Background   int // round trips of idle relay polls, not in the two above
	// InActivity counts the transactions run by a Temporal activity (local
	// or not): what the workflows commit, as against the API and the relay.
	InActivity int
	ByName     map[string]int
	ByTx       map[string]int // "A" for an autocommit statement, "A+B" for BEGIN; A; B; COMMIT
}

type txTrace struct {
	stmts    []string
	rows     []int64
	activity bool // begun in an activity's context
}

type traceKey struct{}

type started struct {
	name string
	conn *pgx.Conn
	tx   bool // the statement runs inside an explicit transaction
	// activity: the statement runs in a Temporal activity's context.
	activity bool
}

func NewDBCounter() *DBCounter {
	return &DBCounter{open: map[*pgx.Conn]*txTrace{}, names: map[string]int{}, txs: map[string]int{}}
}

// TraceQueryStart notes the statement and whether it runs inside a transaction.
func (d *DBCounter) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	inTx := conn.PgConn().TxStatus() != 'I'
	return context.WithValue(ctx, traceKey{}, started{name: statementName(data.SQL), conn: conn, tx: inTx, activity: activity.IsActivity(ctx)})
}

// TraceQueryEnd counts the statement into its transaction (or its own).
func (d *DBCounter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	s, ok := ctx.Value(traceKey{}).(started)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case s.name == "begin":
		d.open[s.conn] = &txTrace{stmts: []string{"begin"}, rows: []int64{0}, activity: s.activity}
	case s.tx || d.open[s.conn] != nil:
		t := d.open[s.conn]
		if t == nil { // BEGIN not seen (counter attached mid-transaction)
			t = &txTrace{}
			d.open[s.conn] = t
		}
		t.stmts = append(t.stmts, s.name)
		t.rows = append(t.rows, data.CommandTag.RowsAffected())
		if s.name == "commit" || s.name == "rollback" {
			d.closeTx(t)
			delete(d.open, s.conn)
		}
	default:
		d.c.RoundTrips++
		d.c.Transactions++
		if s.activity {
			d.c.InActivity++
		}
		d.names[s.name]++
		d.txs[s.name]++
	}
}

// closeTx adds a finished transaction: background when it was only an empty
// outbox poll.
func (d *DBCounter) closeTx(t *txTrace) {
	idle := true
	for i, s := range t.stmts {
		if s != "begin" && s != "commit" && s != "rollback" && (s != "UndispatchedEvents" || t.rows[i] != 0) {
			idle = false
		}
	}
	if idle {
		d.c.Background += len(t.stmts)
		return
	}
	d.c.RoundTrips += len(t.stmts)
	d.c.Transactions++
	if t.activity {
		d.c.InActivity++
	}
	var inner []string
	for _, s := range t.stmts {
		d.names[s]++
		if s != "begin" && s != "commit" && s != "rollback" {
			inner = append(inner, s)
		}
	}
	d.txs["["+strings.Join(inner, "+")+"]"]++
}

// TraceBatchStart and its siblings count a batch as one round trip.
func (d *DBCounter) TraceBatchStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, started{name: "batch", conn: conn, tx: conn.PgConn().TxStatus() != 'I'})
}
func (d *DBCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (d *DBCounter) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchEndData) {
	d.TraceQueryEnd(ctx, conn, pgx.TraceQueryEndData{CommandTag: pgconn.NewCommandTag("BATCH 1")})
}

// Snapshot copies the counters.
func (d *DBCounter) Snapshot() DBCounts {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.c
	c.ByName = make(map[string]int, len(d.names))
	for k, v := range d.names {
		c.ByName[k] = v
	}
	c.ByTx = make(map[string]int, len(d.txs))
	for k, v := range d.txs {
		c.ByTx[k] = v
	}
	return c
}

// Sub is what happened between an earlier snapshot and this one.
func (c DBCounts) Sub(before DBCounts) DBCounts {
	out := DBCounts{RoundTrips: c.RoundTrips - before.RoundTrips, Transactions: c.Transactions - before.Transactions,
		Background: c.Background - before.Background, InActivity: c.InActivity - before.InActivity, ByName: sub(c.ByName, before.ByName), ByTx: sub(c.ByTx, before.ByTx)}
	return out
}

func sub(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if n := v - before[k]; n > 0 {
			out[k] = n
		}
	}
	return out
}

// statementName is sqlc's query name ("-- name: CreatePayment :one"), or for
// hand-written SQL its first words.
func statementName(sql string) string {
	s := strings.TrimSpace(sql)
	if rest, ok := strings.CutPrefix(s, "-- name: "); ok {
		if i := strings.IndexAny(rest, " \n"); i > 0 {
			return rest[:i]
		}
	}
	low := strings.ToLower(s)
	for _, w := range []string{"begin", "commit", "rollback"} {
		if low == w || strings.HasPrefix(low, w+" ") {
			return w
		}
	}
	f := strings.Fields(s)
	if len(f) > 3 {
		f = f[:3]
	}
	return strings.Join(f, " ")
}

// WriteTransactions prints the transactions by shape, most frequent first,
// per unit of n: a bracketed list is one BEGIN..COMMIT, a bare name autocommit.
func (c DBCounts) WriteTransactions(w io.Writer, n int) {
	shapes := make([]string, 0, len(c.ByTx))
	for k := range c.ByTx {
		shapes = append(shapes, k)
	}
	slices.SortFunc(shapes, func(a, b string) int {
		if c.ByTx[a] != c.ByTx[b] {
			return c.ByTx[b] - c.ByTx[a]
		}
		return strings.Compare(a, b)
	})
	for _, k := range shapes {
		fmt.Fprintf(w, "    %5.1f  %s\n", float64(c.ByTx[k])/float64(n), k)
	}
}
