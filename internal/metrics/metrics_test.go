package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/metrics"
)

// gather returns the registry's metrics by name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the value of the series of family name with the given
// labels, and whether it exists.
func value(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mf, ok := gather(t, reg)[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func TestNew_NoGlobalState(t *testing.T) {
	t.Parallel()
	// Two sets side by side, as parallel tests and library users need.
	a, b := prometheus.NewRegistry(), prometheus.NewRegistry()
	ma, _ := metrics.New(a), metrics.New(b)
	ma.ObserveResults(igtoken.Result{Outcome: igtoken.ResultRefreshed})
	if v, _ := value(t, b, "igtoken_refreshes_total", map[string]string{"outcome": "refreshed"}); v != 0 {
		t.Errorf("a second registry saw %v refreshes, want 0", v)
	}
	if v, _ := value(t, a, "igtoken_refreshes_total", map[string]string{"outcome": "refreshed"}); v != 1 {
		t.Errorf("refreshes = %v, want 1", v)
	}
}

type fakeSource struct {
	rows []igtoken.AccountStatus
	err  error
}

func (f *fakeSource) Statuses(context.Context, ...string) ([]igtoken.AccountStatus, error) {
	return f.rows, f.err
}

func TestAccountsCollector(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	if _, ok := value(t, reg, "igtoken_accounts", nil); ok {
		t.Error("account gauges without a source")
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	src := &fakeSource{rows: []igtoken.AccountStatus{
		{AccountID: "1", State: igtoken.StateOK, ExpiresAt: at(50 * 24 * time.Hour)},
		{AccountID: "2", State: igtoken.StateExpiring, ExpiresAt: at(3 * time.Hour)},
		{AccountID: "3", State: igtoken.StateNeedsReconnect, ExpiresAt: at(time.Hour)}, // unusable: not the nearest
		{AccountID: "4", State: igtoken.StateExpired, ExpiresAt: at(-time.Hour)},
		{AccountID: "5", State: igtoken.StateOK, ExpiresAt: at(40 * 24 * time.Hour)},
	}}
	m.WatchAccounts(src, func() time.Time { return now })
	for state, want := range map[string]float64{"ok": 2, "expiring": 1, "needs_reconnect": 1, "expired": 1, "unknown": 0} {
		if v, ok := value(t, reg, "igtoken_accounts", map[string]string{"state": state}); !ok || v != want {
			t.Errorf("igtoken_accounts{state=%q} = %v (present %v), want %v", state, v, ok, want)
		}
	}
	if v, _ := value(t, reg, "igtoken_token_nearest_expiry_seconds", nil); v != 3*3600 {
		t.Errorf("nearest expiry = %v s, want %v", v, 3*3600)
	}
	if v, _ := value(t, reg, "igtoken_accounts_scrape_error", nil); v != 0 {
		t.Errorf("scrape error = %v, want 0", v)
	}

	src.rows, src.err = nil, errors.New("database is down")
	if v, _ := value(t, reg, "igtoken_accounts_scrape_error", nil); v != 1 {
		t.Errorf("scrape error = %v, want 1", v)
	}
	if _, ok := value(t, reg, "igtoken_token_nearest_expiry_seconds", nil); ok {
		t.Error("nearest expiry reported without accounts")
	}
}

func TestObservePassAndNotify(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	start := time.Now()
	m.ObservePass(igtoken.PassReport{Started: start, Finished: start.Add(2 * time.Second), Results: []igtoken.Result{
		{Outcome: igtoken.ResultRefreshed}, {Outcome: igtoken.ResultRefreshed}, {Outcome: igtoken.ResultFailed},
	}})
	for outcome, want := range map[string]float64{"refreshed": 2, "failed": 1} {
		if v, _ := value(t, reg, "igtoken_refreshes_total", map[string]string{"outcome": outcome}); v != want {
			t.Errorf("refreshes{%s} = %v, want %v", outcome, v, want)
		}
	}
	if v, _ := value(t, reg, "igtoken_refresh_last_pass_timestamp_seconds", nil); v < float64(start.Unix()) {
		t.Errorf("last pass = %v, want about now", v)
	}
	if v, _ := value(t, reg, "igtoken_refresh_pass_duration_seconds", nil); v != 1 {
		t.Errorf("%v pass durations observed, want 1", v)
	}
	var n igtoken.Notifier = m
	n.Notify(t.Context(), igtoken.Event{Type: igtoken.EventNeedsReconnect})
	if v, _ := value(t, reg, "igtoken_events_total", map[string]string{"type": "account.needs_reconnect"}); v != 1 {
		t.Errorf("events = %v, want 1", v)
	}
}

func TestEndpointLabel(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"/me", "/me"},
		{"/v23.0/me", "/me"},
		{"/v23/me", "/me"},
		{"/oauth/access_token", "/oauth/access_token"},
		{"/refresh_access_token", "/refresh_access_token"},
		{"/v21.0/17841400000000000/media_publish", "/{id}/media_publish"},
		{"/17841400000000000", "/{id}"},
		{"/video/v2", "/video/v2"},
		{"", "/"},
	}
	for _, tc := range tests {
		if got := metrics.EndpointLabel(tc.path); got != tc.want {
			t.Errorf("EndpointLabel(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestInstrumentTransport(t *testing.T) {
	t.Parallel()
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v23.0/me" {
			w.Header().Set("X-App-Usage", `{"call_count":42,"total_time":7,"total_cputime":3}`)
			w.Write([]byte(`{}`))
			return
		}
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer meta.Close()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	c := &http.Client{Transport: m.InstrumentTransport(nil)}
	for _, path := range []string{"/v23.0/me?access_token=SECRET", "/v23.0/me", "/refresh_access_token?access_token=SECRET"} {
		resp, err := c.Get(meta.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, err := c.Get("http://127.0.0.1:1/me"); err == nil {
		t.Fatal("a request to a closed port succeeded")
	}
	for _, tc := range []struct {
		endpoint, result string
		want             float64
	}{{"/me", "2xx", 2}, {"/refresh_access_token", "4xx", 1}, {"/me", "error", 1}} {
		if v, _ := value(t, reg, "igtoken_graph_requests_total", map[string]string{"endpoint": tc.endpoint, "result": tc.result}); v != tc.want {
			t.Errorf("graph_requests{%s,%s} = %v, want %v", tc.endpoint, tc.result, v, tc.want)
		}
	}
	if v, _ := value(t, reg, "igtoken_graph_request_duration_seconds", map[string]string{"endpoint": "/me"}); v != 3 {
		t.Errorf("%v latencies for /me, want 3", v)
	}
	if v, _ := value(t, reg, "igtoken_graph_usage_percent", map[string]string{"scope": "app"}); v != 42 {
		t.Errorf("graph_usage_percent{app} = %v, want 42", v)
	}
}

func TestInstrumentHandler(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /accounts/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv := httptest.NewServer(m.InstrumentHandler(mux))
	defer srv.Close()
	for _, path := range []string{"/accounts/1", "/accounts/2", "/ok", "/nope"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, tc := range []struct {
		route, code string
		want        float64
	}{{"GET /accounts/{id}", "418", 2}, {"GET /ok", "200", 1}, {"unmatched", "404", 1}} {
		if v, _ := value(t, reg, "igtoken_http_requests_total", map[string]string{"route": tc.route, "code": tc.code}); v != tc.want {
			t.Errorf("http_requests{%s,%s} = %v, want %v", tc.route, tc.code, v, tc.want)
		}
	}
}
