package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/metrics"
	"github.com/igtoken/igtoken/internal/server"
	"github.com/igtoken/igtoken/internal/testenv"
)

const (
	adminToken = "test-admin-token-0123456789-abcdefghij"
	day        = 24 * time.Hour
)

// env is the service over a real Manager, a real SQLite store and the
// emulator, each on real HTTP.
type env struct {
	emu      *emulator.Server
	mgr      *igtoken.Manager
	store    igtoken.Store
	srv      *server.Server
	ts       *httptest.Server
	reg      *prometheus.Registry
	met      *metrics.Metrics
	clock    *clock        // the server's clock (OAuth state expiry)
	logs     *syncBuffer   // every log line, JSON
	tokens   *tokenSpy     // every access_token Meta answered
	bodies   *bodyRecorder // every response body the test client read
	callback string        // the redirect URI
}

// newEnv starts the service; configure, if not nil, adjusts its Config
// before New.
func newEnv(tb testing.TB, configure func(*server.Config, *env)) *env {
	tb.Helper()
	return newEnvEmu(tb, nil, configure)
}

// newEnvEmu is newEnv with emuConfig, if not nil, adjusting the emulator's
// Config before it starts.
func newEnvEmu(tb testing.TB, emuConfig func(*emulator.Config), configure func(*server.Config, *env)) *env {
	tb.Helper()
	e := &env{clock: &clock{}, logs: &syncBuffer{}, tokens: &tokenSpy{}, bodies: &bodyRecorder{}}
	e.clock.set(time.Now())
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	var handler atomic.Value // http.Handler, set once the server exists
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	tb.Cleanup(e.ts.Close)
	e.callback = e.ts.URL + "/callback"

	emuCfg := emulator.Config{RedirectURIs: []string{e.callback}, RefreshRotates: true, Logger: logger}
	if emuConfig != nil {
		emuConfig(&emuCfg)
	}
	e.emu = emulator.New(emuCfg)
	meta := httptest.NewServer(e.emu)
	tb.Cleanup(meta.Close)
	tb.Cleanup(e.emu.Close) // runs first: ends hung requests so meta.Close does not wait

	e.store = testenv.Store(tb)

	e.reg = prometheus.NewRegistry()
	e.met = metrics.New(e.reg)
	client := testenv.Client(meta.URL, e.callback)
	client.Version = "v23.0"
	client.HTTPClient = &http.Client{Transport: e.met.InstrumentTransport(e.tokens.wrap(http.DefaultTransport))}
	e.mgr = testenv.Manager(e.store, client, e.emu)
	e.mgr.Logger = logger
	e.mgr.Notifier = e.met
	e.mgr.Retry = igtoken.Backoff{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

	cfg := server.Config{
		AdminToken:  adminToken,
		RedirectURI: e.callback,
		AppSecret:   emulator.DefaultAppSecret,
		PublicURL:   "https://igtoken.example",
		Scopes:      []string{"instagram_business_basic", "instagram_business_content_publish"},
		Logger:      logger,
		Registry:    e.reg,
		Metrics:     e.met,
		Now:         e.clock.now,
	}
	if configure != nil {
		configure(&cfg, e)
	}
	var err error
	if e.srv, err = server.New(cfg, e.mgr); err != nil {
		tb.Fatal(err)
	}
	handler.Store(http.Handler(e.srv))
	return e
}

// login connects username directly through the Manager (not the web flow).
func (e *env) login(tb testing.TB, username string) *igtoken.Account {
	tb.Helper()
	res, err := e.mgr.Login(tb.Context(), e.emu.IssueCode(username, e.callback))
	if err != nil {
		tb.Fatalf("Login(%s): %v", username, err)
	}
	return res.Account
}

func (e *env) accounts(tb testing.TB) []*igtoken.Account {
	tb.Helper()
	all, err := e.store.Accounts(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return all
}

// clock is a settable clock.
type clock struct{ t atomic.Int64 }

func (c *clock) set(t time.Time)         { c.t.Store(t.UnixNano()) }
func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tokenSpy records every access_token value in Meta's answers, so that the
// secret-hygiene test knows every token that ever existed.
type tokenSpy struct {
	mu     sync.Mutex
	values []string
}

func (s *tokenSpy) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(r)
		if err != nil {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var v any
		if json.Unmarshal(body, &v) == nil {
			s.collect(v)
		}
		return resp, nil
	})
}

func (s *tokenSpy) collect(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if str, ok := x.(string); ok && k == "access_token" {
				s.mu.Lock()
				s.values = append(s.values, str)
				s.mu.Unlock()
			}
			s.collect(x)
		}
	case []any:
		for _, x := range v {
			s.collect(x)
		}
	}
}

func (s *tokenSpy) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.values...)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// bodyRecorder keeps every response body a client read, except those of
// GET …/token, the one route allowed to show a token.
type bodyRecorder struct {
	mu     sync.Mutex
	bodies []string
}

func (b *bodyRecorder) add(r *http.Request, body string) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bodies = append(b.bodies, r.Method+" "+r.URL.Path+"\n"+body)
}

func (b *bodyRecorder) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.bodies...)
}

// response is what a request got.
type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (r response) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		tb.Fatalf("response is not JSON (%v):\n%s", err, r.body)
	}
}

// errorCode returns the code of a JSON error body.
func (r response) errorCode(tb testing.TB) string {
	tb.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	r.json(tb, &body)
	if body.Error.Message == "" {
		tb.Errorf("error body has no message: %s", r.body)
	}
	return body.Error.Code
}

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) get(tb testing.TB, rawURL string) response {
	tb.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = b.e.ts.URL + rawURL
	}
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b.e.do(tb, b.c, req)
}

func (e *env) do(tb testing.TB, c *http.Client, req *http.Request) response {
	tb.Helper()
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if strings.HasPrefix(req.URL.String(), e.ts.URL) {
		e.bodies.add(req, string(body))
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body), location: resp.Header.Get("Location")}
}

// authorize starts a login at /connect and follows it to Instagram's
// consent page, which consents as username (or refuses, with deny) and
// answers with a redirect to the callback. It returns that callback URL,
// not yet visited.
func (b *browser) authorize(tb testing.TB, username string, deny bool) string {
	tb.Helper()
	start := b.get(tb, "/connect")
	if start.status != http.StatusFound {
		tb.Fatalf("GET /connect = %d, want 302", start.status)
	}
	u, err := url.Parse(start.location)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("emulator_user", username)
	if deny {
		q.Set("emulator_deny", "1")
	}
	u.RawQuery = q.Encode()
	consent := b.get(tb, u.String())
	if consent.status != http.StatusFound || !strings.HasPrefix(consent.location, b.e.callback) {
		tb.Fatalf("authorize = %d to %q, want 302 to the callback; body: %s", consent.status, consent.location, consent.body)
	}
	return consent.location
}

// connect runs the whole web login for username and returns the page.
func (b *browser) connect(tb testing.TB, username string) response {
	tb.Helper()
	return b.get(tb, b.authorize(tb, username, false))
}

// api calls the admin API with the admin token.
func (e *env) api(tb testing.TB, method, path string) response {
	tb.Helper()
	return e.apiAs(tb, method, path, "Bearer "+adminToken)
}

func (e *env) apiAs(tb testing.TB, method, path, authorization string) response {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, e.ts.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return e.do(tb, http.DefaultClient, req)
}

// post sends a form.
func (e *env) post(tb testing.TB, path string, form url.Values) response {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(tb, http.DefaultClient, req)
}

func wantStatus(tb testing.TB, what string, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Errorf("%s: status %d, want %d; body:\n%s", what, r.status, want, r.body)
	}
}

func wantContains(tb testing.TB, what, body string, subs ...string) {
	tb.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			tb.Errorf("%s does not contain %q:\n%s", what, s, body)
		}
	}
}
