package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgWaits samples what PostgreSQL's client backends are doing while a run
// goes (pg_stat_activity, every pgWaitsEvery), by database, state and wait
// event: where a checkout's database time goes. Lock waits name the statement
// that waits, so the per-customer risk lock (pg_advisory_xact_lock) shows as
// itself, and an open transaction waiting for its client (idle in
// transaction, Client:ClientRead) names its last statement; IO:WALSync is a
// commit's fsync.
type pgWaits struct {
	counts  map[string]int
	samples int
	done    chan struct{} // closed when the sampling has stopped
}

const pgWaitsEvery = 50 * time.Millisecond

const pgWaitsQuery = `
SELECT coalesce(datname, ''), coalesce(state, ''), coalesce(wait_event_type, ''), coalesce(wait_event, ''),
       CASE WHEN wait_event_type = 'Lock' OR state LIKE 'idle in transaction%'
            THEN left(regexp_replace(query, '\s+', ' ', 'g'), 48) ELSE '' END
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'`

// samplePGWaits samples until ctx ends; a failed connection samples nothing.
func samplePGWaits(ctx context.Context, url string) *pgWaits {
	w := &pgWaits{counts: map[string]int{}, done: make(chan struct{})}
	if url == "" { // pgx would dial its defaults
		close(w.done)
		return w
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		close(w.done)
		return w
	}
	go func() {
		defer close(w.done)
		defer conn.Close(context.Background())
		t := time.NewTicker(pgWaitsEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			w.sample(ctx, conn)
		}
	}()
	return w
}

func (w *pgWaits) sample(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, pgWaitsQuery)
	if err != nil {
		return
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var db, state, typ, event, query string
		if rows.Scan(&db, &state, &typ, &event, &query) != nil {
			return
		}
		key := db + " " + state
		if typ != "" {
			key += " " + typ + ":" + event
		}
		if query != "" {
			key += " [" + query + "]"
		}
		seen[key]++
	}
	if rows.Err() != nil {
		return
	}
	for k, n := range seen { // summed, so the order does not matter
		w.counts[k] += n
	}
	w.samples++
}

// report prints the mean number of backends in each state per sample (by
// Little's law, the database time the run spends there per unit of time),
// the largest first. Call it after the sampling's ctx ended.
func (w *pgWaits) report(out io.Writer, run string) {
	<-w.done
	if w.samples == 0 {
		return
	}
	keys := make([]string, 0, len(w.counts))
	for k := range w.counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return w.counts[b] - w.counts[a] })
	var parts []string
	for _, k := range keys[:min(len(keys), 8)] {
		parts = append(parts, fmt.Sprintf("%.2f %s", float64(w.counts[k])/float64(w.samples), k))
	}
	fmt.Fprintf(out, "postgres backends busy during %s (mean per sample, %d samples): %s\n", run, w.samples, strings.Join(parts, "; "))
}
