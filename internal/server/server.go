// Package server is the HTTP service of `igtoken serve`: the OAuth web login
// (/connect and the callback), the admin JSON API under /api/v1/, Meta's
// deauthorize and data-deletion callbacks, health and readiness probes,
// Prometheus metrics, and the dashboard mounted at "/".
//
// Every handler parses its input, calls one Manager method and renders the
// result or hands the error to writeError (errors.go), the one place where
// errors become statuses. No token value is ever logged or rendered, except
// in the body of GET /api/v1/accounts/{id}/token.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/metrics"
)

// MinAdminTokenLen is the shortest admin token New accepts, in bytes.
const MinAdminTokenLen = 32

// Defaults for the zero values of Config.
const (
	DefaultAddr            = ":8080"
	DefaultCallbackPath    = "/callback"
	DefaultRequestTimeout  = 30 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// maxBodyBytes bounds every request body.
const maxBodyBytes = 1 << 20

// Config configures a Server. Only AdminToken is required.
type Config struct {
	// Addr is the listen address of Open (default ":8080"; ":0" picks a port).
	Addr string
	// AdminToken is the bearer token of the admin API, at least
	// MinAdminTokenLen bytes. cmd generates one with GenerateAdminToken
	// when none is configured.
	AdminToken string
	// RedirectURI is the OAuth redirect URI (IGTOKEN_REDIRECT_URI) or just
	// its path; the callback is served at its path. Empty means "/callback".
	RedirectURI string
	// AppSecret is the Instagram app secret, which signs Meta's
	// signed_request. Without it the /meta/ callbacks answer 503.
	AppSecret string
	// StateSecret signs OAuth states. Nil means 32 random bytes, so that
	// logins in progress fail after a restart; set it to share states
	// between replicas.
	StateSecret []byte
	// PublicURL is the service's external base URL, used in the data
	// deletion status URL. Empty means the origin of RedirectURI if that is
	// absolute, else the scheme and host of the request.
	PublicURL string
	// Scopes are the OAuth scopes requested by /connect.
	Scopes []string
	// Logger receives request and error logs, never a token. Nil discards.
	Logger *slog.Logger
	// Registry is what /metrics serves. Nil means a new registry with the
	// Go and process collectors.
	Registry *prometheus.Registry
	// Metrics are the service's collectors, registered on Registry. Nil
	// means metrics.New(Registry). New points their account gauges at the
	// Manager.
	Metrics *metrics.Metrics
	// Refresher, when set, is the refresh daemon /readyz watches.
	Refresher *igtoken.Refresher
	// Dashboard, when set, is mounted at "/".
	Dashboard http.Handler
	// RequestTimeout bounds each request's work, Meta calls included
	// (default 30 s). A login that hits it answers 504.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown of Serve (default 10 s).
	ShutdownTimeout time.Duration
	// Now is the clock of OAuth state expiry and deletion confirmations.
	// Nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP service. It implements http.Handler; Open and Serve
// run it on a listener.
type Server struct {
	cfg          Config
	m            *igtoken.Manager
	log          *slog.Logger
	now          func() time.Time
	callbackPath string
	publicURL    string
	reg          *prometheus.Registry
	metrics      *metrics.Metrics
	states       *stateIssuer
	deletions    *deletions
	started      time.Time
	handler      http.Handler

	ln   net.Listener
	http *http.Server
}

// New returns a Server over m. It fails if the admin token is too short or
// the redirect URI does not parse.
func New(cfg Config, m *igtoken.Manager) (*Server, error) {
	if m == nil {
		return nil, errors.New("server: a Manager is required")
	}
	if len(cfg.AdminToken) < MinAdminTokenLen {
		return nil, fmt.Errorf("server: the admin token must be at least %d bytes (got %d): %w",
			MinAdminTokenLen, len(cfg.AdminToken), igtoken.ErrConfig)
	}
	if cfg.Metrics != nil && cfg.Registry == nil {
		return nil, errors.New("server: Config.Metrics needs the Registry it is registered on")
	}
	s := &Server{cfg: cfg, m: m, log: cfg.Logger, now: cfg.Now, started: time.Now()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.setURLs(); err != nil {
		return nil, err
	}
	if s.cfg.Addr == "" {
		s.cfg.Addr = DefaultAddr
	}
	if s.cfg.RequestTimeout <= 0 {
		s.cfg.RequestTimeout = DefaultRequestTimeout
	}
	if s.cfg.ShutdownTimeout <= 0 {
		s.cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	secret := cfg.StateSecret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	}
	s.states = newStateIssuer(secret, stateTTL, s.now)
	s.deletions = newDeletions(s.now)
	s.reg = cfg.Registry
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.metrics = cfg.Metrics
	if s.metrics == nil {
		s.metrics = metrics.New(s.reg)
	}
	s.metrics.WatchAccounts(m, func() time.Time {
		if m.Now != nil {
			return m.Now() // the sandbox's emulated clock
		}
		return time.Now()
	})

	mux := http.NewServeMux()
	s.routes(mux)
	// The timeout and body limit go outside the metrics middleware so that
	// it sees the request the mux sets the pattern on.
	s.handler = s.limit(s.metrics.InstrumentHandler(s.logRequests(mux)))
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// setURLs derives the callback path and the public base URL.
func (s *Server) setURLs() error {
	s.callbackPath = DefaultCallbackPath
	var origin string
	if s.cfg.RedirectURI != "" {
		u, err := url.Parse(s.cfg.RedirectURI)
		if err != nil {
			return fmt.Errorf("server: redirect URI %q: %w", s.cfg.RedirectURI, err)
		}
		if u.Path != "" && u.Path != "/" {
			s.callbackPath = u.Path
		}
		if err := checkCallbackPath(s.callbackPath); err != nil {
			return fmt.Errorf("server: redirect URI %q: %w", s.cfg.RedirectURI, err)
		}
		if u.Scheme != "" && u.Host != "" {
			origin = u.Scheme + "://" + u.Host
		}
	}
	s.publicURL = strings.TrimRight(s.cfg.PublicURL, "/")
	if s.publicURL == "" {
		s.publicURL = origin
	}
	return nil
}

// checkCallbackPath refuses a callback path the mux cannot serve as a
// plain path, or that another route already uses.
func checkCallbackPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "{} \t") {
		return fmt.Errorf("path %q cannot be served", p)
	}
	for _, reserved := range []string{"/connect", "/healthz", "/readyz", "/metrics", "/api/", "/meta/"} {
		if p == reserved || strings.HasPrefix(p, strings.TrimSuffix(reserved, "/")+"/") {
			return fmt.Errorf("path %q is taken by another route", p)
		}
	}
	return nil
}

// ServeHTTP serves every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// limit bounds each request's body and its work.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// logRequests logs each request: its path, never its query (the callback's
// carries the authorization code).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
			"route", r.Pattern, "status", sw.status(), "duration", time.Since(start))
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Open listens on Config.Addr. Call Serve next.
func (s *Server) Open() error {
	if s.ln != nil {
		return errors.New("server: already open")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr returns the address Open listens on, or "" before Open.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Serve serves HTTP until ctx ends, then shuts down gracefully: requests in
// flight get Config.ShutdownTimeout to finish. It calls Open if needed, and
// returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Open(); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.log.Info("http server listening", "addr", s.Addr())
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil // Close was called
		}
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(shutdown); err != nil {
		s.http.Close()
		return fmt.Errorf("shut down http server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}

// Close stops serving at once, without waiting for requests in flight;
// Serve's graceful shutdown is the usual way to stop.
func (s *Server) Close() error { return s.http.Close() }

// GenerateAdminToken returns a random admin token: 32 bytes, base64url.
func GenerateAdminToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
