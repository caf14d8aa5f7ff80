// Package emulator is a stateful fake of Meta's Instagram Login endpoints
// (authorize, code exchange, long-lived exchange, refresh and /me) and of
// the endpoints that use the tokens (messaging, content publishing with
// resumable uploads, the publishing limit), served over real HTTP so that
// tests, `igtoken emulator` and the sandbox can run the whole token life
// cycle without Instagram.
//
// One [Server] answers for all four Meta hosts (www.instagram.com,
// api.instagram.com, graph.instagram.com and rupload.facebook.com). It keeps
// users, codes, tokens, messages and media in memory, runs on an emulated
// clock that tests can move forward ([Server.Advance]), reports and enforces
// rate limits ([Server.SetUsage]), and can be told to fail the next calls to
// an endpoint ([Server.FailNext]). Token values never appear in its logs,
// error bodies or state.
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

	EndpointMessages        = "messages"                 // POST /{ig-user-id}/messages and /me/messages (§6)
	EndpointMedia           = "media"                    // POST /{ig-user-id}/media (§5.1)
	EndpointRupload         = "rupload"                  // POST and GET /rupload/ig-api/{ver}/{container-id} (§5.2)
	EndpointContainer       = "container"                // GET /{container-id} and GET /{media-id} (§5.3)
	EndpointMediaPublish    = "media_publish"            // POST /{ig-user-id}/media_publish (§5.4)
	EndpointPublishingLimit = "content_publishing_limit" // GET /{ig-user-id}/content_publishing_limit (§4.1)
)

// Defaults applied by [New] to empty [Config] fields.
const (
	DefaultAppID       = "1000000000000001"
	DefaultAppSecret   = "emulator-secret"
	DefaultRedirectURI = "http://localhost:8080/callback"

	DefaultProcessingTime = 3 * time.Second // §5.3; Meta's real time varies
	DefaultPublishQuota   = 50              // quota_total (§4.1)
	DefaultContainerLimit = 400             // containers per account per 24 h (§4.1)
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
	// ProcessingTime is how long a media container stays IN_PROGRESS once
	// all its bytes are in (§5.3), on the emulated clock, which real time
	// moves too. Zero means DefaultProcessingTime; negative means none.
	ProcessingTime time.Duration
	// PublishQuota is quota_total: how many media_publish calls an account
	// may make in a rolling 24 h (§4.1). Zero or less means
	// DefaultPublishQuota.
	PublishQuota int
	// ContainerLimit is how many media containers an account may create in
	// a rolling 24 h (§4.1). Zero or less means DefaultContainerLimit.
	ContainerLimit int
	// AppCallBudget is the app's Graph calls per rolling hour: the 100 % of
	// X-App-Usage (§4). Zero means no limit, and the header shows 0.
	AppCallBudget int
	// AccountCallBudget is the Graph calls per Instagram account per
	// rolling 24 h: the 100 % of X-Business-Use-Case-Usage (§4). Zero means
	// no limit.
	AccountCallBudget int
	// RuploadDebugInfo makes the upload host answer its errors in the
	// {"debug_info":{…}} envelope of §5.2 instead of the Graph one.
	RuploadDebugInfo bool
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

	containers map[string]*container // media containers by id (§5)
	media      map[string]*media     // published media by id (§5.4)
	usage      usage                 // call counts for the usage headers (§4)
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

		containers: make(map[string]*container),
		media:      make(map[string]*media),
		usage:      newUsage(),
	}
	s.latency.Store(int64(cfg.Latency))
	s.handlers = map[string]http.HandlerFunc{
		EndpointAuthorize:       s.handleAuthorize,
		EndpointAccessToken:     s.handleCodeExchange,
		EndpointIGExchangeToken: s.handleExchange,
		EndpointIGRefreshToken:  s.handleRefresh,
		EndpointMe:              s.handleMe,
		EndpointMessages:        s.handleMessages,
		EndpointMedia:           s.handleMedia,
		EndpointRupload:         s.handleRupload,
		EndpointContainer:       s.handleContainer,
		EndpointMediaPublish:    s.handleMediaPublish,
		EndpointPublishingLimit: s.handlePublishingLimit,
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
	switch {
	case cfg.ProcessingTime == 0:
		cfg.ProcessingTime = DefaultProcessingTime
	case cfg.ProcessingTime < 0:
		cfg.ProcessingTime = 0
	}
	if cfg.PublishQuota <= 0 {
		cfg.PublishQuota = DefaultPublishQuota
	}
	if cfg.ContainerLimit <= 0 {
		cfg.ContainerLimit = DefaultContainerLimit
	}
	cfg.AppCallBudget = max(cfg.AppCallBudget, 0)
	cfg.AccountCallBudget = max(cfg.AccountCallBudget, 0)
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
	endpoint, id := s.route(r.URL.Path)
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
	var throttled *apiError
	if isGraph(endpoint) {
		throttled = s.meterApp(w) // every Graph answer carries X-App-Usage (§4)
	}
	if faulty {
		s.serveFault(w, r, endpoint, f)
		return
	}
	if throttled != nil {
		writeGraphError(w, throttled)
		return
	}
	s.handlers[endpoint](w, r)
}

// isGraph reports whether endpoint is served by graph.instagram.com, whose
// answers carry the usage headers and are throttled (§4), rather than by
// the login hosts or the upload host.
func isGraph(endpoint string) bool {
	switch endpoint {
	case EndpointAuthorize, EndpointAccessToken, EndpointRupload:
		return false
	}
	return true
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

// route maps a request path to an endpoint name and the path's id: the
// node of /{id} (a user, a container or a media), the user of a user edge
// such as /{ig-user-id}/media ("" for /me/…), or the container of an upload.
// Meta accepts any /vNN.N prefix and none (§0 intro).
func (s *Server) route(path string) (endpoint, id string) {
	p := strings.Trim(path, "/")
	if id, ok := uploadPath(p); ok {
		return EndpointRupload, id
	}
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
		if s.isObject(p) {
			return EndpointContainer, p
		}
		return EndpointMe, p
	}
	node, edge, ok := strings.Cut(p, "/")
	if !ok || (node != "me" && !isDigits(node)) {
		return "", ""
	}
	if node == "me" {
		node = ""
	}
	switch edge {
	case "messages":
		return EndpointMessages, node
	case "media":
		return EndpointMedia, node
	case "media_publish":
		return EndpointMediaPublish, node
	case "content_publishing_limit":
		return EndpointPublishingLimit, node
	}
	return "", ""
}

// uploadPath returns the container id of an upload path (§5.2):
// [rupload/](ig-api|ig-api-upload)/[vNN.N/]{container-id}. Meta's own host
// is rupload.facebook.com with /ig-api-upload/; one emulator serves every
// host, so the /rupload/ prefix names that host where needed.
func uploadPath(p string) (string, bool) {
	p = strings.TrimPrefix(p, "rupload/")
	for _, prefix := range []string{"ig-api-upload/", "ig-api/"} {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if v, id, ok := strings.Cut(rest, "/"); ok && isVersion(v) {
			rest = id
		}
		return rest, isDigits(rest)
	}
	return "", false
}

// apiVersion returns the /vNN.N prefix of path, or defaultAPIVersion.
func apiVersion(path string) string {
	if first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/"); isVersion(first) {
		return first
	}
	return defaultAPIVersion
}

// defaultAPIVersion is the version the docs' samples use (§0 intro).
const defaultAPIVersion = "v25.0"

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
