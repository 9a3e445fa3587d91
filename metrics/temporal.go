package metrics

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// The SDK tags metrics with varying sets of keys; Prometheus needs one label set
// per metric name. These are the tags worth keeping; others are dropped.
var temporalLabels = []string{"namespace", "task_queue", "workflow_type", "activity_type", "operation"}

// temporalMetrics creates a collector per SDK metric name on first use.
type temporalMetrics struct {
	reg      prometheus.Registerer
	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
}

func newTemporalMetrics(reg prometheus.Registerer) *temporalMetrics {
	return &temporalMetrics{reg: reg, counters: map[string]*prometheus.CounterVec{},
		gauges: map[string]*prometheus.GaugeVec{}, timers: map[string]*prometheus.HistogramVec{}}
}

// Temporal is the SDK's metrics handler (client.Options.MetricsHandler).
func (m *Metrics) Temporal() client.MetricsHandler {
	return temporalHandler{m: m.temporal, tags: map[string]string{}}
}

type temporalHandler struct {
	m    *temporalMetrics
	tags map[string]string
}

func (h temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return temporalHandler{m: h.m, tags: merged}
}

func (h temporalHandler) values() []string {
	out := make([]string, len(temporalLabels))
	for i, k := range temporalLabels {
		out[i] = h.tags[k]
	}
	return out
}

func promName(name string) string { return strings.ReplaceAll(name, ".", "_") }

func (h temporalHandler) Counter(name string) client.MetricsCounter {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	v, ok := h.m.counters[name]
	if !ok {
		v = prometheus.NewCounterVec(prometheus.CounterOpts{Name: promName(name), Help: "Temporal SDK counter " + name}, temporalLabels)
		h.m.reg.MustRegister(v)
		h.m.counters[name] = v
	}
	c := v.WithLabelValues(h.values()...)
	return counterFunc(func(n int64) { c.Add(float64(n)) })
}

func (h temporalHandler) Gauge(name string) client.MetricsGauge {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	v, ok := h.m.gauges[name]
	if !ok {
		v = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: promName(name), Help: "Temporal SDK gauge " + name}, temporalLabels)
		h.m.reg.MustRegister(v)
		h.m.gauges[name] = v
	}
	return gaugeFunc(v.WithLabelValues(h.values()...).Set)
}

func (h temporalHandler) Timer(name string) client.MetricsTimer {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	v, ok := h.m.timers[name]
	if !ok {
		v = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: promName(name) + "_seconds", Help: "Temporal SDK timer " + name,
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, temporalLabels)
		h.m.reg.MustRegister(v)
		h.m.timers[name] = v
	}
	o := v.WithLabelValues(h.values()...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(n int64) { f(n) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
