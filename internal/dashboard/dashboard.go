// Package dashboard is the server-rendered admin dashboard of `igtoken serve`:
// the account table, one page per account with its refresh history, the
// "refresh now" and "remove" actions and, in the sandbox, controls for the
// emulated clock.
//
// It is html/template over embedded files, with no build step and no
// JavaScript. A person logs in with the admin token; the session lives in a
// signed, expiring cookie, and every form carries a per-session CSRF token.
// Templates only ever see view structs built from [igtoken.AccountStatus]
// and [igtoken.HistoryEntry], so no token value can reach a page.
package dashboard

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/igtoken/igtoken"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Sandbox is the emulated Meta the dashboard can steer in `igtoken sandbox`.
// *emulator.Server implements it.
type Sandbox interface {
	// Advance moves the emulated clock forward by d.
	Advance(d time.Duration)
	// Revoke makes every token issued so far to username fail with Graph
	// error 190 and the given subcode.
	Revoke(username string, subcode int)
	// Now returns the emulated time.
	Now() time.Time
}

// Config configures a Handler.
type Config struct {
	// AdminToken is the password of the login form. Required.
	AdminToken string
	// Logger receives logins and actions, never a token. Nil discards.
	Logger *slog.Logger
	// Now is the clock used for display ("in 3 days"). Nil means
	// Sandbox.Now when Sandbox is set, else time.Now.
	Now func() time.Time
	// ConnectPath is where the "connect an account" button leads (the
	// service's OAuth start). Empty means "/connect".
	ConnectPath string
	// Sandbox, when set, adds the emulated clock and its controls and a
	// "revoke" action per account.
	Sandbox Sandbox
	// RunPass, when set, adds a "run refresh pass now" button that calls
	// it (the daemon's Refresher.Pass).
	RunPass func(ctx context.Context) error
	// SessionTTL is how long a login lasts. Zero means 12 hours.
	SessionTTL time.Duration
}

// Handler serves the dashboard. Mount it at "/": it answers GET / and the
// paths listed in New, and renders its own 404 page for anything else.
type Handler struct {
	cfg      Config
	m        *igtoken.Manager
	log      *slog.Logger
	now      func() time.Time
	ttl      time.Duration
	secret   []byte // signs session and flash cookies; random per process
	sessions *revocations
	pages    pages
	mux      *http.ServeMux
	handler  http.Handler
}

// New returns the dashboard over m. Its routes are:
//
//	GET  /                             account table, or the login form
//	GET  /static/…                     stylesheet
//	POST /login, POST /logout
//	GET  /accounts/{id}                account page with its refresh history
//	POST /accounts/{id}/refresh        refresh now (forced, never against Meta's rules)
//	GET  /accounts/{id}/remove         "are you sure?" page
//	POST /accounts/{id}/remove         forget the account
//	POST /sandbox/advance              move the emulated clock (Sandbox only)
//	POST /sandbox/revoke/{id}          revoke the account at the emulator (Sandbox only)
//	POST /sandbox/pass                 run a refresh pass (RunPass only)
//
// Sessions are signed with a secret generated here, so they end when the
// process restarts.
func New(cfg Config, m *igtoken.Manager) (*Handler, error) {
	if cfg.AdminToken == "" {
		return nil, errors.New("dashboard: an admin token is required")
	}
	if m == nil {
		return nil, errors.New("dashboard: a Manager is required")
	}
	if cfg.ConnectPath == "" {
		cfg.ConnectPath = "/connect"
	}
	h := &Handler{
		cfg:      cfg,
		m:        m,
		log:      cfg.Logger,
		now:      cfg.Now,
		ttl:      cfg.SessionTTL,
		secret:   make([]byte, 32),
		sessions: &revocations{},
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
		if cfg.Sandbox != nil {
			h.now = cfg.Sandbox.Now
		}
	}
	if h.ttl <= 0 {
		h.ttl = 12 * time.Hour
	}
	_, _ = rand.Read(h.secret) // crypto/rand.Read never fails (Go 1.24+)
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	h.pages = pages
	h.routes()

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, http.StatusForbidden, "This request came from another site and was refused.")
	}))
	h.handler = securityHeaders(cop.Handler(h.mux))
	return h, nil
}

func (h *Handler) routes() {
	static, _ := fs.Sub(staticFS, "static")
	h.mux = http.NewServeMux()
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	h.mux.HandleFunc("GET /{$}", h.handleIndex)
	h.mux.HandleFunc("POST /login", h.handleLogin)
	h.mux.HandleFunc("POST /logout", h.handleLogout)

	h.mux.HandleFunc("GET /accounts/{id}", h.requireSession(h.handleAccount))
	h.mux.HandleFunc("POST /accounts/{id}/refresh", h.requireCSRF(h.handleAccountRefresh))
	h.mux.HandleFunc("GET /accounts/{id}/remove", h.requireSession(h.handleAccountRemoveConfirm))
	h.mux.HandleFunc("POST /accounts/{id}/remove", h.requireCSRF(h.handleAccountRemove))

	h.mux.HandleFunc("POST /sandbox/advance", h.requireCSRF(h.handleSandboxAdvance))
	h.mux.HandleFunc("POST /sandbox/revoke/{id}", h.requireCSRF(h.handleSandboxRevoke))
	h.mux.HandleFunc("POST /sandbox/pass", h.requireCSRF(h.handleSandboxPass))

	h.mux.HandleFunc("/", h.handleNotFound)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.ServeHTTP(w, r)
}

// securityHeaders keeps pages out of frames and caches and forbids scripts.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
