package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// codeTTL is how long an authorization code lives (§1.2).
const codeTTL = time.Hour

// sweepEvery is how many codes are issued between sweeps of expired ones.
const sweepEvery = 1024

// code is an issued, not yet exchanged authorization code.
type code struct {
	owner       *user
	redirectURI string
	scopes      []string
	expires     time.Time
}

// knownScopes are the Instagram Login scopes, current and deprecated (§1.1).
var knownScopes = []string{
	"instagram_business_basic", "instagram_business_content_publish",
	"instagram_business_manage_messages", "instagram_business_manage_comments",
	"instagram_business_manage_insights",
	"business_basic", "business_content_publish", "business_manage_messages", "business_manage_comments",
}

const defaultScope = "instagram_business_basic"

// IssueCode returns an authorization code for the user, creating the user if
// new, as if they had consented on the authorize page with redirectURI and
// the instagram_business_basic scope. The code lives 1 h from Now() and
// works once; redirectURI must also be registered for the exchange to work.
func (s *Server) IssueCode(username string, redirectURI string) string {
	return s.issueCode(username, redirectURI, []string{defaultScope})
}

func (s *Server) issueCode(username, redirectURI string, scopes []string) string {
	value := newCodeValue()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if s.issued++; s.issued%sweepEvery == 0 {
		for v, c := range s.codes {
			if !now.Before(c.expires) {
				delete(s.codes, v)
			}
		}
	}
	s.codes[value] = &code{
		owner: s.userLocked(username), redirectURI: redirectURI,
		scopes: scopes, expires: now.Add(codeTTL),
	}
	return value
}

// handleAuthorize auto-consents: it redirects to redirect_uri with a code
// (or with access_denied when emulator_deny=1), as the consent page does (§1.2).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	scopes, problem := s.checkAuthorize(q)
	if problem != "" {
		// Instagram shows a page, not a redirect, for these.
		writeText(w, http.StatusBadRequest, "Invalid Request: Request parameters are invalid: "+problem)
		return
	}
	target, _ := url.Parse(q.Get("redirect_uri")) // checkAuthorize parsed it
	params := target.Query()
	if q.Get("emulator_deny") == "1" {
		params.Set("error", "access_denied")
		params.Set("error_reason", "user_denied")
		params.Set("error_description", "The user denied your request")
	} else {
		params.Set("code", s.issueCode(q.Get("emulator_user"), q.Get("redirect_uri"), scopes))
		target.Fragment = "_" // Meta appends "#_", which is not part of the code (§1.2)
	}
	if state := q.Get("state"); state != "" {
		params.Set("state", state)
	}
	target.RawQuery = params.Encode()
	w.Header().Set("Location", target.String())
	w.WriteHeader(http.StatusFound)
}

// checkAuthorize returns the requested scopes, or why the request is refused.
func (s *Server) checkAuthorize(q url.Values) (scopes []string, problem string) {
	switch {
	case q.Get("client_id") != s.cfg.AppID:
		return nil, "Invalid platform app"
	case !slices.Contains(s.cfg.RedirectURIs, q.Get("redirect_uri")):
		return nil, "Invalid redirect_uri: it must exactly match a registered OAuth redirect URI"
	case q.Get("response_type") != "code":
		return nil, "Invalid response_type: it must be code"
	}
	if _, err := url.Parse(q.Get("redirect_uri")); err != nil {
		return nil, "Invalid redirect_uri"
	}
	// Scopes are comma-separated or space-separated (§1.1).
	scopes = strings.FieldsFunc(q.Get("scope"), func(r rune) bool { return r == ',' || r == ' ' })
	var unknown []string
	for _, sc := range scopes {
		if !slices.Contains(knownScopes, sc) {
			unknown = append(unknown, sc)
		}
	}
	if len(unknown) > 0 {
		return nil, "Invalid Scopes: " + strings.Join(unknown, ", ") // dead Basic Display scopes (§1.1)
	}
	if len(scopes) == 0 {
		scopes = []string{defaultScope}
	}
	return scopes, ""
}

// handleCodeExchange is POST /oauth/access_token (§1.3). Its errors use the
// api.instagram.com envelope, not the Graph one.
func (s *Server) handleCodeExchange(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeIGError(w, "Unsupported request - method type: "+strings.ToLower(r.Method))
		return
	}
	value := newTokenValue()
	u, scopes, problem := s.exchangeCode(formValues(w, r), value)
	if problem != "" {
		writeIGError(w, problem)
		return
	}
	if s.cfg.ExchangeShape == ShapeFlat {
		// Old shape: user_id is a JSON number (17 digits overflow float64),
		// permissions an array (§1.3).
		writeJSON(w, http.StatusOK, flatExchange{value, json.Number(u.AppScopedID), scopes})
		return
	}
	writeJSON(w, http.StatusOK, dataExchange{Data: []dataExchangeItem{
		{AccessToken: value, UserID: u.AppScopedID, Permissions: strings.Join(scopes, ",")},
	}})
}

type flatExchange struct {
	AccessToken string      `json:"access_token"`
	UserID      json.Number `json:"user_id"`
	Permissions []string    `json:"permissions"`
}

type dataExchange struct {
	Data []dataExchangeItem `json:"data"`
}

type dataExchangeItem struct {
	AccessToken string `json:"access_token"`
	UserID      string `json:"user_id"`
	Permissions string `json:"permissions"`
}

// exchangeCode spends a code on a short-lived token with the given value, or
// returns Meta's error message (§1.3).
func (s *Server) exchangeCode(f url.Values, value string) (User, []string, string) {
	redirectURI := f.Get("redirect_uri")
	switch {
	case f.Get("client_id") != s.cfg.AppID:
		return User{}, nil, "Invalid platform app"
	case f.Get("client_secret") != s.cfg.AppSecret:
		return User{}, nil, "Invalid client secret"
	case f.Get("grant_type") != "authorization_code":
		return User{}, nil, "Invalid grant_type: it must be authorization_code"
	case !slices.Contains(s.cfg.RedirectURIs, redirectURI):
		return User{}, nil, "Redirect URI does not match registered redirect URI"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	c, ok := s.codes[f.Get("code")]
	if !ok || !now.Before(c.expires) {
		// Unknown, used and expired codes read the same (§1.3).
		return User{}, nil, "Matching code was not found or was already used"
	}
	if c.redirectURI != redirectURI {
		return User{}, nil, "Redirect URI does not match registered redirect URI"
	}
	delete(s.codes, f.Get("code")) // single use (§1.2)
	s.addTokenLocked(c.owner, value, false, now)
	return c.owner.User, c.scopes, ""
}

// maxFormBytes bounds request bodies.
const maxFormBytes = 1 << 20

// formValues returns the query and the urlencoded or multipart body (§1.3)
// parameters. A body that does not parse contributes nothing.
func formValues(w http.ResponseWriter, r *http.Request) url.Values {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.ParseMultipartForm(maxFormBytes)
	} else {
		r.ParseForm()
	}
	if r.Form == nil {
		return r.URL.Query()
	}
	return r.Form
}
