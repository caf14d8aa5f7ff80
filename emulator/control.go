package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// controlPrefix starts the paths that control the emulator over HTTP, for
// `igtoken emulator` users. They are never counted, delayed or failed.
const controlPrefix = "/_emulator/"

func (s *Server) controlRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emulator/state", s.handleState)
	mux.HandleFunc("POST /_emulator/clock", s.handleClock)
	mux.HandleFunc("POST /_emulator/users", s.handleAddUser)
	mux.HandleFunc("POST /_emulator/users/{username}/revoke", s.handleRevoke)
	mux.HandleFunc("POST /_emulator/fail", s.handleFail)
	mux.HandleFunc("POST /_emulator/users/{username}/window", s.handleOpenWindow)
	mux.HandleFunc("POST /_emulator/usage", s.handleSetUsage)
	mux.HandleFunc("POST /_emulator/containers/{id}/fail", s.handleFailContainer)
	mux.HandleFunc("/_emulator/", func(w http.ResponseWriter, r *http.Request) {
		writeControlError(w, http.StatusNotFound, "no such control endpoint")
	})
	return mux
}

// state is GET /_emulator/state. It holds no token values.
type state struct {
	Now           time.Time      `json:"now"`
	Advanced      string         `json:"advanced"`
	Latency       string         `json:"latency"`
	Config        configState    `json:"config"`
	Users         []userState    `json:"users"`
	Calls         map[string]int `json:"calls"`
	PendingFaults map[string]int `json:"pending_faults"`
	AppUsage      int            `json:"app_usage"` // X-App-Usage call_count (§4)
}

type configState struct {
	AppID                    string   `json:"app_id"`
	RedirectURIs             []string `json:"redirect_uris"`
	ExchangeShape            string   `json:"exchange_shape"`
	RefreshRotates           bool     `json:"refresh_rotates"`
	OldTokenValidAfterRotate bool     `json:"old_token_valid_after_rotate"`
	ProcessingTime           string   `json:"processing_time"`
	PublishQuota             int      `json:"publish_quota"`
	ContainerLimit           int      `json:"container_limit"`
	AppCallBudget            int      `json:"app_call_budget"`
	AccountCallBudget        int      `json:"account_call_budget"`
	RuploadDebugInfo         bool     `json:"rupload_debug_info"`
}

type userView struct {
	Username    string `json:"username"`
	InstagramID string `json:"instagram_id"`
	AppScopedID string `json:"app_scoped_id"`
}

func viewOf(u User) userView { return userView(u) }

type userState struct {
	userView
	Tokens tokenCounts `json:"tokens"`
	// Messages, Containers and Published count what the account has sent,
	// created and published (§5, §6); AccountUsage is its
	// X-Business-Use-Case-Usage call_count (§4).
	Messages     int `json:"messages"`
	Containers   int `json:"containers"`
	Published    int `json:"published"`
	AccountUsage int `json:"account_usage"`
}

// tokenCounts counts a user's tokens; ShortLived and LongLived count usable ones.
type tokenCounts struct {
	ShortLived int `json:"short_lived"`
	LongLived  int `json:"long_lived"`
	Expired    int `json:"expired"`
	Revoked    int `json:"revoked"`
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.snapshot())
}

func (s *Server) snapshot() state {
	st := state{
		Advanced: s.advanced().String(),
		Latency:  time.Duration(s.latency.Load()).String(),
		Config: configState{
			AppID: s.cfg.AppID, RedirectURIs: s.cfg.RedirectURIs, ExchangeShape: s.cfg.ExchangeShape,
			RefreshRotates: s.cfg.RefreshRotates, OldTokenValidAfterRotate: s.oldValid,
			ProcessingTime: s.cfg.ProcessingTime.String(), PublishQuota: s.cfg.PublishQuota,
			ContainerLimit: s.cfg.ContainerLimit, AppCallBudget: s.cfg.AppCallBudget,
			AccountCallBudget: s.cfg.AccountCallBudget, RuploadDebugInfo: s.cfg.RuploadDebugInfo,
		},
		Users:         []userState{},
		Calls:         make(map[string]int),
		PendingFaults: make(map[string]int),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Now = s.Now()
	st.AppUsage = s.appUsageLocked(st.Now)
	for _, ep := range endpoints {
		st.Calls[ep] = s.calls[ep]
		st.PendingFaults[ep] = s.pendingLocked(ep)
	}
	for _, u := range s.users {
		st.Users = append(st.Users, s.userStateLocked(u, st.Now))
	}
	slices.SortFunc(st.Users, func(a, b userState) int { return strings.Compare(a.Username, b.Username) })
	return st
}

func (s *Server) userStateLocked(u *user, now time.Time) userState {
	us := userState{userView: viewOf(u.User), Messages: len(u.messages), Containers: len(u.containers),
		Published: len(u.published)}
	us.AccountUsage, _ = s.accountUsageLocked(u.InstagramID, now)
	for value := range u.tokens {
		switch t := s.tokens[value]; {
		case t.revoked:
			us.Tokens.Revoked++
		case !now.Before(t.expires):
			us.Tokens.Expired++
		case t.longLived:
			us.Tokens.LongLived++
		default:
			us.Tokens.ShortLived++
		}
	}
	return us
}

// handleClock is POST /_emulator/clock {"advance":"24h"}; "60d" works too.
func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance string `json:"advance"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	d, err := parseDuration(req.Advance)
	if err != nil {
		writeControlError(w, http.StatusBadRequest, "advance: "+err.Error())
		return
	}
	s.Advance(d)
	writeJSON(w, http.StatusOK, map[string]any{"now": s.Now(), "advanced": s.advanced().String()})
}

// parseDuration is time.ParseDuration plus a whole-days form such as "60d".
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(v)
}

// handleAddUser is POST /_emulator/users {"username":"alice"}.
func (s *Server) handleAddUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	writeJSON(w, http.StatusOK, viewOf(s.AddUser(req.Username)))
}

// handleRevoke is POST /_emulator/users/{username}/revoke {"subcode":460}.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Subcode int `json:"subcode"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	username := r.PathValue("username")
	if _, ok := s.User(username); !ok {
		writeControlError(w, http.StatusNotFound, "no such user")
		return
	}
	s.Revoke(username, req.Subcode)
	writeJSON(w, http.StatusOK, map[string]any{"username": username, "subcode": req.Subcode})
}

// handleFail is POST /_emulator/fail {"endpoint":"me","count":1,"fault":{…}}.
// A missing count means 1.
func (s *Server) handleFail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Endpoint string `json:"endpoint"`
		Count    *int   `json:"count"`
		Fault    Fault  `json:"fault"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	if !slices.Contains(endpoints, req.Endpoint) {
		writeControlError(w, http.StatusBadRequest, "endpoint must be one of "+strings.Join(endpoints, ", "))
		return
	}
	n := 1
	if req.Count != nil {
		n = *req.Count
	}
	s.FailNext(req.Endpoint, n, req.Fault)
	writeJSON(w, http.StatusOK, map[string]any{"endpoint": req.Endpoint, "pending": s.PendingFaults(req.Endpoint)})
}

// handleOpenWindow is POST /_emulator/users/{username}/window
// {"igsid":"…"}: the IGSID messaged the account now (§6).
func (s *Server) handleOpenWindow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IGSID string `json:"igsid"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	if req.IGSID == "" {
		writeControlError(w, http.StatusBadRequest, "igsid is required")
		return
	}
	username := r.PathValue("username")
	s.OpenWindow(username, req.IGSID)
	writeJSON(w, http.StatusOK, map[string]any{"username": username, "igsid": req.IGSID, "opened_at": s.Now()})
}

// handleSetUsage is POST /_emulator/usage {"app":80,"account":100}; a
// missing figure stays computed (§4).
func (s *Server) handleSetUsage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		App     *int `json:"app"`
		Account *int `json:"account"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	app, account := -1, -1
	if req.App != nil {
		app = *req.App
	}
	if req.Account != nil {
		account = *req.Account
	}
	s.SetUsage(app, account)
	writeJSON(w, http.StatusOK, map[string]int{"app": app, "account": account})
}

// handleFailContainer is POST /_emulator/containers/{id}/fail
// {"status":"Error: …"} (§5.3).
func (s *Server) handleFailContainer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	if !s.FailContainer(id, req.Status) {
		writeControlError(w, http.StatusNotFound, "no such container")
		return
	}
	c, _ := s.Container(id)
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "status_code": c.StatusCode, "status": c.Status})
}

// decodeControl reads a JSON body into v; an empty body leaves v zero.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeControlError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func writeControlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
