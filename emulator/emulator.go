// Package emulator is a stateful fake of Meta's Instagram Login endpoints
// (authorize, code exchange, long-lived exchange, refresh and /me), served
// over real HTTP so that tests, `igtoken emulator` and the sandbox can run the
// whole token life cycle without Instagram.
//
// One [Server] answers for all three Meta hosts (www.instagram.com,
// api.instagram.com and graph.instagram.com). It keeps users, codes and
// tokens in memory, runs on an emulated clock that tests can move forward
// ([Server.Advance]), and can be told to fail the next calls to an endpoint
// ([Server.FailNext]). Token values never appear in its logs, error bodies or
// state.
//
// Sections cited as "§N" refer to reference/instagram-api.md in the project's
// shared documents.
package emulator

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Endpoint names, as accepted by [Server.FailNext] and [Server.Calls].
const (
	EndpointAuthorize       = "authorize"         // GET /oauth/authorize
	EndpointAccessToken     = "access_token"      // POST /oauth/access_token (code exchange)
	EndpointIGExchangeToken = "ig_exchange_token" // GET /access_token
	EndpointIGRefreshToken  = "ig_refresh_token"  // GET /refresh_access_token
	EndpointMe              = "me"                // GET /me and GET /{ig-user-id}
)

// Defaults applied by [New] to empty [Config] fields.
const (
	DefaultAppID       = "1000000000000001"
	DefaultAppSecret   = "emulator-secret"
	DefaultRedirectURI = "http://localhost:8080/callback"
)

// Code-exchange response shapes (§1.3), for [Config.ExchangeShape].
const (
	ShapeData = "data" // {"data":[{"access_token","user_id":"…","permissions":"a,b"}]}
	ShapeFlat = "flat" // {"access_token","user_id":<number>,"permissions":["a","b"]}
)

// Config sets up a [Server]. The zero value is usable.
type Config struct {
	// AppID and AppSecret are the Instagram app's credentials. Empty means
	// DefaultAppID and DefaultAppSecret.
	AppID, AppSecret string
	// RedirectURIs are the registered OAuth redirect URIs, matched exactly
	// (§1.2). Empty means DefaultRedirectURI.
	RedirectURIs []string
	// Latency is slept before every answer; see also [Server.SetLatency].
	Latency time.Duration
	// ExchangeShape is ShapeData (the default) or ShapeFlat. Any other value
	// means ShapeData.
	ExchangeShape string
	// RefreshRotates makes ig_refresh_token return a new string instead of
	// extending the old one (§1.5, undocumented by Meta).
	RefreshRotates bool
	// OldTokenValidAfterRotate says whether the old string keeps working,
	// until its own expiry, after a rotating refresh. It is only read when
	// RefreshRotates is set. Nil means true; write new(false) to turn it off.
	OldTokenValidAfterRotate *bool
	// Start is the emulated time when New is called. Zero means time.Now().
	Start time.Time
	// Logger receives request logs, never token values. Nil discards them.
	Logger *slog.Logger
}

// Server is the emulator. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	cfg      Config // defaults applied
	oldValid bool   // old token stays valid after a rotating refresh
	log      *slog.Logger
	clock    clock
	latency  atomic.Int64 // time.Duration
	handlers map[string]http.HandlerFunc
	control  *http.ServeMux
	done     chan struct{} // closed by Close
	closed   sync.Once

	mu       sync.Mutex       // guards the fields below
	users    map[string]*user // by username
	byID     map[string]*user // by InstagramID and by AppScopedID
	nextUser int
	codes    map[string]*code
	tokens   map[string]*token
	calls    map[string]int
	faults   map[string][]pendingFault
	issued   int // codes issued, to sweep expired ones now and then
}

// New returns a Server with no users.
func New(cfg Config) *Server {
	cfg = withDefaults(cfg)
	s := &Server{
		cfg:      cfg,
		oldValid: cfg.OldTokenValidAfterRotate == nil || *cfg.OldTokenValidAfterRotate,
		log:      cfg.Logger,
		clock:    newClock(cfg.Start),
		done:     make(chan struct{}),
		users:    make(map[string]*user),
		byID:     make(map[string]*user),
		codes:    make(map[string]*code),
		tokens:   make(map[string]*token),
		calls:    make(map[string]int),
		faults:   make(map[string][]pendingFault),
	}
	s.latency.Store(int64(cfg.Latency))
	s.handlers = map[string]http.HandlerFunc{
		EndpointAuthorize:       s.handleAuthorize,
		EndpointAccessToken:     s.handleCodeExchange,
		EndpointIGExchangeToken: s.handleExchange,
		EndpointIGRefreshToken:  s.handleRefresh,
		EndpointMe:              s.handleMe,
	}
	s.control = s.controlRoutes()
	return s
}

func withDefaults(cfg Config) Config {
	if cfg.AppID == "" {
		cfg.AppID = DefaultAppID
	}
	if cfg.AppSecret == "" {
		cfg.AppSecret = DefaultAppSecret
	}
	if len(cfg.RedirectURIs) == 0 {
		cfg.RedirectURIs = []string{DefaultRedirectURI}
	}
	cfg.RedirectURIs = append([]string(nil), cfg.RedirectURIs...)
	if cfg.ExchangeShape != ShapeFlat {
		cfg.ExchangeShape = ShapeData
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// SetLatency changes the delay slept before every answer.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Close ends every wait: requests in a latency sleep are answered at once
// (later ones get no latency), and requests blocked by a Hang fault have
// their connection dropped. Close does not stop the HTTP server that serves
// s; call it before http.Server.Shutdown so that Shutdown does not wait on
// hung requests.
func (s *Server) Close() { s.closed.Do(func() { close(s.done) }) }

// ServeHTTP answers every emulated Meta path, with or without a /vNN.N
// prefix, and the /_emulator/ control paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.control.ServeHTTP(w, r)
		return
	}
	endpoint, id := route(r.URL.Path)
	if endpoint == "" {
		writeGraphError(w, errUnknownPath(r.Method))
		return
	}
	r.SetPathValue("id", id)
	f, faulty := s.begin(endpoint)
	s.log.Debug("request", logKeyEndpoint, endpoint, logKeyMethod, r.Method, logKeyFault, faulty)
	if !s.sleep(r, time.Duration(s.latency.Load())) {
		drop(w)
		return
	}
	if faulty {
		s.serveFault(w, r, endpoint, f)
		return
	}
	s.handlers[endpoint](w, r)
}

// sleep waits d, or less if s closes; it reports false if the request ended
// first.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	case <-r.Context().Done():
		return false
	}
	return true
}

// route maps a request path to an endpoint name and, for GET /{ig-user-id},
// the id. Meta accepts any /vNN.N prefix and none (§0 intro).
func route(path string) (endpoint, id string) {
	p := strings.Trim(path, "/")
	if first, rest, _ := strings.Cut(p, "/"); isVersion(first) {
		p = rest
	}
	switch p {
	case "oauth/authorize":
		return EndpointAuthorize, ""
	case "oauth/access_token":
		return EndpointAccessToken, ""
	case "access_token":
		return EndpointIGExchangeToken, ""
	case "refresh_access_token":
		return EndpointIGRefreshToken, ""
	case "me":
		return EndpointMe, ""
	}
	if isDigits(p) {
		return EndpointMe, p
	}
	return "", ""
}

// isVersion reports whether s looks like "v23" or "v23.0".
func isVersion(s string) bool {
	major, minor, hasMinor := strings.Cut(strings.TrimPrefix(s, "v"), ".")
	return strings.HasPrefix(s, "v") && isDigits(major) && (!hasMinor || isDigits(minor))
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Log attribute keys.
const (
	logKeyEndpoint = "endpoint"
	logKeyMethod   = "method"
	logKeyFault    = "fault"
	logKeyUser     = "username"
	logKeyCode     = "code"
	logKeySubcode  = "subcode"
)
