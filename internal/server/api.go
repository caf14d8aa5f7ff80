package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/igtoken/igtoken"
)

// requireAdmin lets a request through only with "Authorization: Bearer
// <admin token>", compared in constant time.
func (s *Server) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="igtoken"`)
			s.writeError(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized,
				Message: "an admin token is required: send Authorization: Bearer <IGTOKEN_ADMIN_TOKEN>"})
			return
		}
		// Hashing first makes the comparison independent of the lengths.
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="igtoken", error="invalid_token"`)
			s.writeError(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized,
				Message: "the admin token is wrong"})
			return
		}
		next(w, r)
	}
}

// handleAccountList answers every account's status row, as `igtoken status
// --json` prints them.
func (s *Server) handleAccountList(w http.ResponseWriter, r *http.Request) {
	rows, err := s.m.Statuses(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []igtoken.AccountStatus{}
	}
	writeJSON(w, http.StatusOK, rows)
}

// account finds the account named by the {id} path value: an Instagram id
// or a username.
func (s *Server) account(r *http.Request) (*igtoken.Account, error) {
	return s.m.Resolve(r.Context(), r.PathValue("id"))
}

// handleAccount answers one account's status row.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows, err := s.m.Statuses(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rows[0])
}

// handleAccountRefresh refreshes the account now, whatever the refresh
// window says but never against Meta's rules (24 h minimum age, expiry),
// and answers what happened.
func (s *Server) handleAccountRefresh(w http.ResponseWriter, r *http.Request) {
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.m.Refresh(r.Context(), igtoken.RunOptions{IDs: []string{a.ID}, Force: true, Trigger: igtoken.TriggerServe})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.ObserveResults(rep.Results...)
	if len(rep.Results) != 1 {
		s.writeError(w, r, errUnexpected)
		return
	}
	res := rep.Results[0]
	s.log.Info("refresh requested", "account_id", a.ID, "outcome", res.Outcome)
	writeJSON(w, http.StatusOK, res)
}

var errUnexpected = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}

// tokenResponse is the only response that carries a token value.
type tokenResponse struct {
	AccessToken string            `json:"access_token"`
	ExpiresAt   *time.Time        `json:"expires_at"`
	TokenKind   igtoken.TokenKind `json:"token_kind"`
}

// handleAccountToken hands out a usable token; an account that must
// reconnect, or whose token expired, gets 409 with the reason.
func (s *Server) handleAccountToken(w http.ResponseWriter, r *http.Request) {
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, err := s.m.Token(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("token handed out", "account_id", a.ID, "fingerprint", tok.Fingerprint())
	resp := tokenResponse{AccessToken: tok.Value, TokenKind: tok.Kind}
	if !tok.ExpiresAt.IsZero() {
		t := tok.ExpiresAt.UTC()
		resp.ExpiresAt = &t
	}
	writeJSON(w, http.StatusOK, resp)
}

// historyEntry is the JSON form of an igtoken.HistoryEntry.
type historyEntry struct {
	ID           int64      `json:"id"`
	AccountID    string     `json:"account_id"`
	At           time.Time  `json:"at"`
	Trigger      string     `json:"trigger"`
	Outcome      string     `json:"outcome"`
	GraphCode    int        `json:"graph_code,omitempty"`
	GraphSubcode int        `json:"graph_subcode,omitempty"`
	Error        string     `json:"error,omitempty"`
	OldExpiresAt *time.Time `json:"old_expires_at"`
	NewExpiresAt *time.Time `json:"new_expires_at"`
	Fingerprint  string     `json:"fingerprint,omitempty"`
}

// Bounds of ?limit= on the history.
const (
	defaultHistoryLimit = 100
	maxHistoryLimit     = 1000
)

// handleAccountHistory answers the account's refresh history, newest first
// (?limit=N, default 100, at most 1000).
func (s *Server) handleAccountHistory(w http.ResponseWriter, r *http.Request) {
	limit := defaultHistoryLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistoryLimit {
			s.writeError(w, r, badRequest("limit must be a number from 1 to %d", maxHistoryLimit))
			return
		}
		limit = n
	}
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	entries, err := s.m.History(r.Context(), a.ID, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]historyEntry, len(entries))
	for i, h := range entries {
		out[i] = historyEntry{ID: h.ID, AccountID: h.AccountID, At: h.At.UTC(), Trigger: string(h.Trigger),
			Outcome: string(h.Outcome), GraphCode: h.GraphCode, GraphSubcode: h.GraphSubcode, Error: h.Error,
			OldExpiresAt: utcPtr(h.OldExpiresAt), NewExpiresAt: utcPtr(h.NewExpiresAt), Fingerprint: h.Fingerprint}
	}
	writeJSON(w, http.StatusOK, out)
}

func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// handleAccountDelete forgets the account, its token and its history.
func (s *Server) handleAccountDelete(w http.ResponseWriter, r *http.Request) {
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.m.Remove(r.Context(), a.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("account removed", "account_id", a.ID)
	w.WriteHeader(http.StatusNoContent)
}

// handleAPINotFound answers API paths that match no route.
func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &Error{Status: http.StatusNotFound, Code: CodeNotFound,
		Message: "no such API route: " + r.Method + " " + r.URL.Path})
}
