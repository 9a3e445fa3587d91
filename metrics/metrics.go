// Package metrics is paysaga's Prometheus registry: HTTP metrics, the Temporal
// SDK's own metrics (through a client.MetricsHandler) and business counters,
// all served at /metrics.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every collector; one per process.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpLatency  *prometheus.HistogramVec

	checkouts       *prometheus.CounterVec
	checkoutLatency *prometheus.HistogramVec
	refunds         *prometheus.CounterVec

	temporal *temporalMetrics
}

// New registers the collectors on a fresh registry (no globals).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysaga_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "paysaga_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		checkouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysaga_checkouts_total", Help: "Checkouts answered, by outcome (succeeded, failed, processing).",
		}, []string{"outcome"}),
		checkoutLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "paysaga_checkout_duration_seconds", Help: "Time from checkout request to answer, by outcome.",
			Buckets: []float64{.005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10},
		}, []string{"outcome"}),
		refunds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysaga_refunds_total", Help: "Refunds and cancels answered, by outcome.",
		}, []string{"outcome"}),
		temporal: newTemporalMetrics(reg),
	}
	reg.MustRegister(m.httpRequests, m.httpLatency, m.checkouts, m.checkoutLatency, m.refunds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry lets other parts (wallet, payouts) register their own counters.
func (m *Metrics) Registry() prometheus.Registerer { return m.reg }

// Echo counts and times every request by its route template (not its path, so
// ids do not explode the label set). It must be the outermost middleware: an
// error still in flight is handed to Echo's HTTPErrorHandler here, so the
// status counted is the one written, for problems and for Echo's own errors
// (404 no route, 405) alike.
func (m *Metrics) Echo(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		status := c.Response().Status // net/http sends 200 for a handler that wrote nothing
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.httpRequests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
		m.httpLatency.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// Checkout records one answered checkout.
func (m *Metrics) Checkout(outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.checkouts.WithLabelValues(outcome).Inc()
	m.checkoutLatency.WithLabelValues(outcome).Observe(took.Seconds())
}

// Refund records one answered refund or cancel.
func (m *Metrics) Refund(outcome string) {
	if m == nil {
		return
	}
	m.refunds.WithLabelValues(outcome).Inc()
}
