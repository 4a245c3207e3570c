// Package metrics exposes riskmap's Prometheus metrics: requests and latency
// per route, the database pool, and gauges that other packages register
// (tile cache hits, case counts by state).
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns a registry with the Go runtime and process collectors and
// the HTTP request metrics.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskmap_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "riskmap_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	m.reg.MustRegister(m.requests, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRequest records one answered request. route is the route pattern
// (not the raw path) so ids do not explode the label set.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// Route is ObserveRequest for one route and method with its series looked
// up once: for a handler answering thousands of requests a second (tiles),
// where finding the series by its labels cost more than counting.
type Route struct {
	m             *Metrics
	route, method string
	latency       prometheus.Observer
	common        map[int]prometheus.Counter // fixed at creation: read without a lock
}

// Route returns the observer of route and method; the statuses listed have
// their counters ready, any other is looked up when it comes.
func (m *Metrics) Route(route, method string, statuses ...int) *Route {
	r := &Route{m: m, route: route, method: method, latency: m.latency.WithLabelValues(route, method), common: map[int]prometheus.Counter{}}
	for _, st := range statuses {
		r.common[st] = m.requests.WithLabelValues(route, method, strconv.Itoa(st))
	}
	return r
}

// Observe records one answered request.
func (r *Route) Observe(status int, d time.Duration) {
	if c, ok := r.common[status]; ok {
		c.Inc()
	} else {
		r.m.requests.WithLabelValues(r.route, r.method, strconv.Itoa(status)).Inc()
	}
	r.latency.Observe(d.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// RegisterPool exposes the database pool's state.
func (m *Metrics) RegisterPool(pool *pgxpool.Pool) {
	gauge := func(name, help string, f func(*pgxpool.Stat) float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(pool.Stat()) }))
	}
	gauge("riskmap_db_pool_total_conns", "Connections in the pool.", func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) })
	gauge("riskmap_db_pool_acquired_conns", "Connections in use.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) })
	gauge("riskmap_db_pool_idle_conns", "Idle connections.", func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) })
	gauge("riskmap_db_pool_max_conns", "The pool's limit.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) })
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "riskmap_db_pool_acquires_total", Help: "Connections acquired."},
		func() float64 { return float64(pool.Stat().AcquireCount()) }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "riskmap_db_pool_empty_acquires_total", Help: "Acquires that had to wait for a connection."},
		func() float64 { return float64(pool.Stat().EmptyAcquireCount()) }))
}

// Counter exposes a monotonically increasing value read on scrape (e.g.
// tile cache hits).
func (m *Metrics) Counter(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// CounterWith is Counter for one value of a labelled family (the same
// name, help and label names with other values may be added).
func (m *Metrics) CounterWith(name, help string, labels map[string]string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
}

// Gauge exposes a value read on scrape.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// LabelledCounts is a source of counts by one label, e.g. cases by state.
type LabelledCounts func(ctx context.Context) (map[string]float64, error)

// GaugeByLabel exposes counts read from the database on scrape, at most
// every ttl, so a scrape storm does not become a query storm.
func (m *Metrics) GaugeByLabel(name, help, label string, ttl time.Duration, src LabelledCounts) {
	m.reg.MustRegister(&labelled{desc: prometheus.NewDesc(name, help, []string{label}, nil), src: src, ttl: ttl})
}

type labelled struct {
	desc *prometheus.Desc
	src  LabelledCounts
	ttl  time.Duration

	mu     sync.Mutex
	at     time.Time
	counts map[string]float64
}

func (l *labelled) Describe(ch chan<- *prometheus.Desc) { ch <- l.desc }

func (l *labelled) Collect(ch chan<- prometheus.Metric) {
	l.mu.Lock()
	if time.Since(l.at) > l.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if c, err := l.src(ctx); err == nil {
			l.counts, l.at = c, time.Now()
		}
		cancel()
	}
	counts := l.counts
	l.mu.Unlock()
	for k, v := range counts {
		ch <- prometheus.MustNewConstMetric(l.desc, prometheus.GaugeValue, v, k)
	}
}
