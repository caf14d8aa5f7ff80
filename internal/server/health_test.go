package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/server"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.browser().get(t, "/healthz")
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", r.status, r.body)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.browser().get(t, "/readyz")
	wantStatus(t, "ready without a refresher", r, http.StatusOK)

	var refresher *igtoken.Refresher
	e = newEnv(t, func(cfg *server.Config, e *env) {
		// Three intervals (1.2 s) leave a loaded CI machine time for the
		// first request.
		refresher = &igtoken.Refresher{Manager: e.mgr, Interval: 400 * time.Millisecond, OnPass: e.met.ObservePass}
		cfg.Refresher = refresher
	})
	wantStatus(t, "ready right after start", e.browser().get(t, "/readyz"), http.StatusOK)
	time.Sleep(1300 * time.Millisecond) // three intervals without a pass
	r = e.browser().get(t, "/readyz")
	wantStatus(t, "ready with a stale refresher", r, http.StatusServiceUnavailable)
	var body struct{ Status, Reason string }
	r.json(t, &body)
	if body.Status != "unavailable" || !strings.Contains(body.Reason, "refresh") {
		t.Errorf("readyz = %+v, want unavailable with a reason about the refresher", body)
	}
	if _, err := refresher.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "ready after a pass", e.browser().get(t, "/readyz"), http.StatusOK)

	// A closed store is not ready.
	e.store.Close()
	wantStatus(t, "ready with a closed store", e.browser().get(t, "/readyz"), http.StatusServiceUnavailable)
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	var refresher *igtoken.Refresher
	e := newEnv(t, func(cfg *server.Config, e *env) {
		refresher = &igtoken.Refresher{Manager: e.mgr, OnPass: e.met.ObservePass}
		cfg.Refresher = refresher
	})
	e.browser().connect(t, "alice")
	e.login(t, "bob")
	e.emu.Revoke("bob", 460)
	e.emu.Advance(36 * day)
	if _, err := refresher.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.browser().get(t, "/healthz")
	e.api(t, "GET", "/api/v1/accounts/alice")

	r := e.browser().get(t, "/metrics")
	wantStatus(t, "GET /metrics", r, http.StatusOK)
	wantContains(t, "/metrics", r.body,
		`igtoken_accounts{state="ok"} 1`,
		`igtoken_accounts{state="needs_reconnect"} 1`,
		`igtoken_accounts{state="expired"} 0`,
		`igtoken_token_nearest_expiry_seconds `,
		`igtoken_refreshes_total{outcome="refreshed"} 1`,
		`igtoken_refreshes_total{outcome="needs_reconnect"} 1`,
		`igtoken_events_total{type="token.refreshed"} 1`,
		`igtoken_events_total{type="account.needs_reconnect"} 1`,
		`igtoken_refresh_last_pass_timestamp_seconds `,
		`igtoken_http_requests_total{code="200",route="GET /healthz"} 1`,
		`igtoken_http_requests_total{code="200",route="GET /api/v1/accounts/{id}"} 1`,
		`igtoken_http_requests_total{code="302",route="GET /connect"} 1`,
		`igtoken_graph_requests_total{endpoint="/oauth/access_token",result="2xx"} 2`,
		`igtoken_graph_requests_total{endpoint="/me",result="2xx"}`,
		`igtoken_graph_requests_total{endpoint="/refresh_access_token",result="4xx"}`,
		`igtoken_graph_request_duration_seconds_bucket{endpoint="/access_token"`,
	)
	if strings.Contains(r.body, "access_token=") || strings.Contains(r.body, "v23.0") {
		t.Error("/metrics labels carry a query or a version")
	}
}

func TestServer_New(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tok := range []string{"", "short", strings.Repeat("x", 31)} {
		if _, err := server.New(server.Config{AdminToken: tok}, e.mgr); err == nil {
			t.Errorf("New with a %d-byte admin token succeeded", len(tok))
		}
	}
	a, b := server.GenerateAdminToken(), server.GenerateAdminToken()
	if len(a) < server.MinAdminTokenLen || a == b {
		t.Errorf("GenerateAdminToken = %q, %q; want distinct tokens of at least %d bytes", a, b, server.MinAdminTokenLen)
	}
	if _, err := server.New(server.Config{AdminToken: a}, e.mgr); err != nil {
		t.Errorf("New with a generated token: %v", err)
	}
	for _, uri := range []string{"http://x/connect", "http://x/api/v1/cb", "http://x/{id}"} {
		if _, err := server.New(server.Config{AdminToken: a, RedirectURI: uri}, e.mgr); err == nil {
			t.Errorf("New with redirect URI %s succeeded", uri)
		}
	}
}

func TestServer_Dashboard(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(cfg *server.Config, _ *env) {
		cfg.Dashboard = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("dashboard " + r.URL.Path)) })
	})
	b := e.browser()
	if r := b.get(t, "/"); r.body != "dashboard /" {
		t.Errorf("GET / = %q, want the dashboard", r.body)
	}
	if r := b.get(t, "/accounts/alice"); r.body != "dashboard /accounts/alice" {
		t.Errorf("GET /accounts/alice = %q, want the dashboard", r.body)
	}
	if r := b.get(t, "/connect"); r.status != http.StatusFound {
		t.Errorf("GET /connect = %d, want the service's 302", r.status)
	}
	if r := e.api(t, "GET", "/api/v1/nope"); r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
		t.Errorf("GET /api/v1/nope = %d %s, want a JSON 404 from the API", r.status, r.body)
	}
}

func TestServer_Serve(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", AdminToken: adminToken, ShutdownTimeout: 5 * time.Second}, e.mgr)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()

	// A request in flight when the shutdown starts still gets its answer:
	// a refresh that waits on a slow Meta.
	e.login(t, "alice")
	e.emu.Advance(2 * day)
	e.emu.SetLatency(300 * time.Millisecond)
	slow := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+srv.Addr()+"/api/v1/accounts/alice/refresh", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	resp, err := http.Get("http://" + srv.Addr() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz on the listener: %v %v", resp, err)
	}
	resp.Body.Close()
	// Shut down once the refresh is at Meta, waiting on its latency.
	for deadline := time.Now().Add(10 * time.Second); e.emu.Calls(emulator.EndpointIGRefreshToken) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the refresh never reached the emulator")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	if code := <-slow; code != http.StatusOK {
		t.Errorf("the request in flight got %d, want 200", code)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 1 {
		t.Errorf("%d refresh calls, want 1", n)
	}
}
