// Package metrics holds the Prometheus collectors of igtoken serve: accounts
// by state and the nearest expiry (read from the Manager at scrape time),
// refresh outcomes, the last completed refresh pass, HTTP requests by route,
// and Graph API calls by endpoint.
//
// Nothing is registered on the default registry: New registers on the
// Registerer it is given, so tests and library users can run several sets
// side by side.
package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/igtoken/igtoken"
)

const namespace = "igtoken"

// Metrics is the set of collectors. Its methods are safe for concurrent use.
type Metrics struct {
	refreshes     *prometheus.CounterVec
	events        *prometheus.CounterVec
	lastPass      prometheus.Gauge
	passDuration  prometheus.Histogram
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	graphRequests *prometheus.CounterVec
	graphDuration *prometheus.HistogramVec
	graphUsage    *prometheus.GaugeVec
	accounts      *accountsCollector
}

// New creates the collectors and registers them on reg. It panics if reg
// already holds collectors with the same names, as MustRegister does: that
// is a wiring mistake, not a runtime condition.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "refreshes_total",
			Help: "Refresh and convert attempts by outcome (refreshed, converted, skipped, failed, needs_reconnect, conflict), from the refresh daemon and the admin API.",
		}, []string{"outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_total",
			Help: "Account events delivered to notifiers, by type (token.refreshed, account.needs_reconnect, …).",
		}, []string{"type"}),
		lastPass: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "refresh_last_pass_timestamp_seconds",
			Help: "Unix time at which the refresh daemon last completed a pass.",
		}),
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "refresh_pass_duration_seconds",
			Help:    "Duration of refresh daemon passes.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300},
		}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Duration of HTTP requests served, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		graphRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graph_requests_total",
			Help: "Requests to the Instagram endpoints, by path (version prefix and ids removed) and result (2xx, 4xx, 5xx, error).",
		}, []string{"endpoint", "result"}),
		graphDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graph_request_duration_seconds",
			Help:    "Latency of requests to the Instagram endpoints, by path.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
		graphUsage: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "graph_usage_percent",
			Help: "Meta's rate-limit usage from the last answer that carried it (§4): scope app is X-App-Usage, business the highest X-Business-Use-Case-Usage figure. Meta throttles at 100.",
		}, []string{"scope"}),
		accounts: newAccountsCollector(),
	}
	reg.MustRegister(m.refreshes, m.events, m.lastPass, m.passDuration,
		m.httpRequests, m.httpDuration, m.graphRequests, m.graphDuration, m.graphUsage, m.accounts)
	return m
}

// StatusSource lists account status rows. *igtoken.Manager implements it.
type StatusSource interface {
	Statuses(ctx context.Context, ids ...string) ([]igtoken.AccountStatus, error)
}

// WatchAccounts makes the accounts gauges read src at every scrape, with now
// as the clock for "seconds until expiry" (nil means time.Now; pass the
// Manager's clock so the sandbox's emulated time is used). Calling it again
// replaces the source.
func (m *Metrics) WatchAccounts(src StatusSource, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	m.accounts.src.Store(&source{src: src, now: now})
}

// ObservePass records a completed refresh pass and the outcome of each of
// its accounts. Set it as igtoken.Refresher.OnPass.
func (m *Metrics) ObservePass(p igtoken.PassReport) {
	m.lastPass.SetToCurrentTime()
	if !p.Started.IsZero() && !p.Finished.IsZero() {
		m.passDuration.Observe(p.Finished.Sub(p.Started).Seconds())
	}
	m.ObserveResults(p.Results...)
}

// ObserveResults counts refresh or convert results by outcome. The admin
// API calls it for the refreshes it runs; ObservePass calls it for the
// daemon's.
func (m *Metrics) ObserveResults(results ...igtoken.Result) {
	for _, r := range results {
		m.refreshes.WithLabelValues(r.Outcome).Inc()
	}
}

// Notify counts e by type. It makes Metrics an igtoken.Notifier; add it to
// the Manager's notifiers (notify.Multi) to count every event, including
// logins and refreshes run by the CLI in the same process.
func (m *Metrics) Notify(_ context.Context, e igtoken.Event) error {
	m.events.WithLabelValues(string(e.Type)).Inc()
	return nil
}

var _ igtoken.Notifier = (*Metrics)(nil)

// source is what the accounts collector reads; swapped atomically.
type source struct {
	src StatusSource
	now func() time.Time
}

// accountsCollector reads the account states at scrape time, so the gauges
// are never stale and never need updating by hand.
type accountsCollector struct {
	src         atomic.Pointer[source]
	byState     *prometheus.Desc
	nearest     *prometheus.Desc
	scrapeError *prometheus.Desc
}

func newAccountsCollector() *accountsCollector {
	return &accountsCollector{
		byState: prometheus.NewDesc(namespace+"_accounts",
			"Accounts by state (ok, expiring, expired, needs_reconnect, unknown).", []string{"state"}, nil),
		nearest: prometheus.NewDesc(namespace+"_token_nearest_expiry_seconds",
			"Seconds until the earliest expiry among usable (ok or expiring) tokens; absent when there is none.", nil, nil),
		scrapeError: prometheus.NewDesc(namespace+"_accounts_scrape_error",
			"1 if the accounts could not be read at the last scrape, else 0.", nil, nil),
	}
}

// states are reported even at zero, so alerts on a state see a series.
var states = []igtoken.State{
	igtoken.StateOK, igtoken.StateExpiring, igtoken.StateExpired,
	igtoken.StateNeedsReconnect, igtoken.StateUnknown,
}

func (c *accountsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.byState
	ch <- c.nearest
	ch <- c.scrapeError
}

func (c *accountsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Load()
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := s.src.Statuses(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.scrapeError, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeError, prometheus.GaugeValue, 0)
	counts := make(map[igtoken.State]int, len(states))
	var nearest time.Time
	for _, r := range rows {
		counts[r.State]++
		usable := r.State == igtoken.StateOK || r.State == igtoken.StateExpiring
		if usable && r.ExpiresAt != nil && (nearest.IsZero() || r.ExpiresAt.Before(nearest)) {
			nearest = *r.ExpiresAt
		}
	}
	for _, st := range states {
		ch <- prometheus.MustNewConstMetric(c.byState, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
	if !nearest.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.nearest, prometheus.GaugeValue, nearest.Sub(s.now()).Seconds())
	}
}
