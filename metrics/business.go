package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// storeCollector reads business totals from PostgreSQL at scrape time: the
// payments, top-ups and payouts by status, counted and summed. Read from the
// database, they are the same whichever process (api or worker) is scraped and
// survive restarts, unlike in-process counters.
type storeCollector struct {
	pool   *pgxpool.Pool
	count  *prometheus.Desc
	amount *prometheus.Desc
	up     *prometheus.Desc
	// deadline is the latest settlement deadline check's findings.
	deadline *prometheus.Desc
	// safeguarding is the prepaid liabilities against the safeguard balance, now.
	safeguarding *prometheus.Desc
	// backlog is the events still owed: not yet dispatched by the relay, or
	// pending delivery at an endpoint (a down endpoint's backlog grows).
	outbox, backlog *prometheus.Desc
	// oldest is the age of each endpoint's oldest undelivered event; paused is
	// 1 while its delivery loop's circuit breaker is open.
	oldest, paused *prometheus.Desc
}

// business tables and what they are called in the metrics.
var businessTables = []struct{ table, kind string }{
	{"payments", "payment"},
	{"wallet_topups", "topup"},
	{"payouts", "payout"},
}

// WatchStore adds the database-backed business metrics:
// paysaga_business_objects{kind,status} and paysaga_business_amount{kind,status}.
func (m *Metrics) WatchStore(pool *pgxpool.Pool) {
	m.reg.MustRegister(&storeCollector{
		pool:   pool,
		count:  prometheus.NewDesc("paysaga_business_objects", "Payments, top-ups and payouts by status (from PostgreSQL).", []string{"kind", "status"}, nil),
		amount: prometheus.NewDesc("paysaga_business_amount", "Their amounts summed, minor units (from PostgreSQL).", []string{"kind", "status"}, nil),
		up:     prometheus.NewDesc("paysaga_business_metrics_up", "1 when the business metrics could be read.", nil, nil),
		deadline: prometheus.NewDesc("paysaga_settlement_deadline",
			"Confirmed sales at risk of missing (due within 2 days, in no run) or past their settlement due date, per the latest daily check.", []string{"state"}, nil),
		safeguarding: prometheus.NewDesc("paysaga_safeguarding",
			"Prepaid liabilities (wallets + points) and the recorded safeguard balance, KRW, and their coverage in basis points (alert below 10000).", []string{"figure"}, nil),
		outbox:  prometheus.NewDesc("paysaga_events_undispatched", "Outbox events the relay has not dispatched yet.", nil, nil),
		backlog: prometheus.NewDesc("paysaga_event_deliveries_pending", "Event deliveries not yet delivered (nor given up), by webhook endpoint.", []string{"endpoint_id"}, nil),
		oldest: prometheus.NewDesc("paysaga_event_delivery_oldest_pending_seconds",
			"Age of the oldest event not yet delivered to the endpoint (its loop delivers in outbox order, so it is the head).", []string{"endpoint_id"}, nil),
		paused: prometheus.NewDesc("paysaga_event_endpoint_paused", "1 while the endpoint's delivery loop is paused by its circuit breaker.", []string{"endpoint_id"}, nil),
	})
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.amount
	ch <- c.up
	ch <- c.deadline
	ch <- c.safeguarding
	ch <- c.outbox
	ch <- c.backlog
	ch <- c.oldest
	ch <- c.paused
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	up := 1.0
	for _, t := range businessTables {
		rows, err := c.pool.Query(ctx, "SELECT status, count(*), COALESCE(sum(amount), 0)::float8 FROM "+t.table+" GROUP BY status")
		if err != nil {
			up = 0
			continue
		}
		for rows.Next() {
			var status string
			var n int64
			var sum float64
			if err := rows.Scan(&status, &n, &sum); err != nil {
				up = 0
				break
			}
			ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(n), t.kind, status)
			ch <- prometheus.MustNewConstMetric(c.amount, prometheus.GaugeValue, sum, t.kind, status)
		}
		if rows.Err() != nil {
			up = 0
		}
		rows.Close()
	}
	var atRisk, overdue int64
	err := c.pool.QueryRow(ctx, "SELECT at_risk, overdue FROM settlement_deadline_checks ORDER BY checked_at DESC LIMIT 1").Scan(&atRisk, &overdue)
	switch {
	case err == nil:
		ch <- prometheus.MustNewConstMetric(c.deadline, prometheus.GaugeValue, float64(atRisk), "at_risk")
		ch <- prometheus.MustNewConstMetric(c.deadline, prometheus.GaugeValue, float64(overdue), "overdue")
	case !errors.Is(err, pgx.ErrNoRows):
		up = 0
	}
	if sg, err := ledger.ComputeSafeguarding(ctx, db.New(c.pool), "KRW"); err == nil {
		ch <- prometheus.MustNewConstMetric(c.safeguarding, prometheus.GaugeValue, float64(sg.Liabilities()), "liabilities")
		ch <- prometheus.MustNewConstMetric(c.safeguarding, prometheus.GaugeValue, float64(sg.Safeguarded), "safeguarded")
		ch <- prometheus.MustNewConstMetric(c.safeguarding, prometheus.GaugeValue, float64(sg.CoverageBPS), "coverage_bps")
	} else {
		up = 0
	}
	if !c.collectBacklog(ctx, ch) {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}

// collectBacklog reports the outbox and each endpoint's pending deliveries;
// false when they could not be read.
func (c *storeCollector) collectBacklog(ctx context.Context, ch chan<- prometheus.Metric) bool {
	var undispatched int64
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE dispatched_at IS NULL").Scan(&undispatched); err != nil {
		return false
	}
	ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(undispatched))
	rows, err := db.New(c.pool).EndpointBacklog(ctx)
	if err != nil {
		return false
	}
	now := time.Now()
	for _, r := range rows {
		if r.Pending > 0 {
			ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(r.Pending), r.ID)
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, now.Sub(r.OldestPendingAt.Time).Seconds(), r.ID)
		}
		if r.PausedAt.Valid {
			ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, 1, r.ID)
		}
	}
	return true
}
