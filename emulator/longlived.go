package emulator

import (
	"net/http"
	"net/url"
	"time"
)

// longLivedResponse is the answer of both ig_exchange_token and
// ig_refresh_token (§1.4, §1.5).
type longLivedResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// handleExchange is GET /access_token?grant_type=ig_exchange_token (§1.4).
func (s *Server) handleExchange(w http.ResponseWriter, r *http.Request) {
	f := formValues(w, r)
	if err := checkParams(f, "ig_exchange_token", "access_token", "client_secret"); err != nil {
		writeGraphError(w, err)
		return
	}
	if f.Get("client_secret") != s.cfg.AppSecret {
		// Meta uses code 1 here, which §3.2 maps to 500; the wire spec says 400.
		writeGraphError(w, &apiError{Status: http.StatusBadRequest, Type: "OAuthException",
			Code: 1, Message: "Error validating client secret."})
		return
	}
	res, err := s.exchange(f.Get("access_token"), newTokenValue())
	if err != nil {
		writeGraphError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// exchange turns a usable short-lived token into a new long-lived token with
// the given value. A long-lived input comes back unchanged with its
// remaining lifetime, never extended, as fb_exchange_token does (§2.2).
func (s *Server) exchange(old, value string) (*longLivedResponse, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	t, err := s.checkLocked(old, now)
	if err != nil {
		return nil, err
	}
	if t.longLived {
		return &longLivedResponse{old, "bearer", int64(t.expires.Sub(now).Seconds())}, nil
	}
	s.addTokenLocked(t.owner, value, true, now)
	return &longLivedResponse{value, "bearer", exchangeExpiresIn}, nil
}

// handleRefresh is GET /refresh_access_token?grant_type=ig_refresh_token (§1.5).
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeGraphError(w, errMethod(r.Method)) // only GET works (§1.5, §9)
		return
	}
	f := r.URL.Query()
	if err := checkParams(f, "ig_refresh_token", "access_token"); err != nil {
		writeGraphError(w, err)
		return
	}
	value := f.Get("access_token")
	if s.cfg.RefreshRotates {
		value = newTokenValue()
	}
	res, err := s.refresh(f.Get("access_token"), value)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// refresh extends a usable long-lived token at least 24 h old to 60 days
// from now (§1.5). When value differs from old, the token is rotated: value
// is a new token and old stays valid until its own expiry, or is forgotten.
func (s *Server) refresh(old, value string) (*longLivedResponse, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	t, err := s.checkLocked(old, now)
	if err != nil {
		return nil, err
	}
	if !t.longLived {
		return nil, &apiError{Type: "OAuthException", Code: 100,
			Message: "(#100) ig_refresh_token requires a long-lived access token"}
	}
	if now.Sub(t.issued) < refreshMinAge {
		// Meta's real answer is undocumented (§1.5); keep it a code that is
		// not 190 so clients don't mistake it for a dead token.
		return nil, &apiError{Type: "OAuthException", Code: 100, Message: "(#100) The access token is too new to be refreshed: " +
			"a long-lived token can be refreshed once it is at least 24 hours old"}
	}
	if value != old {
		if !s.oldValid {
			s.removeTokenLocked(old)
		}
		t = s.addTokenLocked(t.owner, value, true, now)
	}
	t.issued, t.expires = now, now.Add(refreshExpiresIn*time.Second)
	return &longLivedResponse{value, "bearer", refreshExpiresIn}, nil
}

// checkParams checks grant_type and that the required parameters are present.
func checkParams(f url.Values, grantType string, required ...string) *apiError {
	for _, name := range required {
		if f.Get(name) == "" {
			return errMissingParam(name)
		}
	}
	if f.Get("grant_type") != grantType {
		return errBadGrantType(grantType)
	}
	return nil
}
