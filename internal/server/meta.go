package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/igtoken/igtoken"
)

// signedRequest reads and verifies the signed_request form field of one of
// Meta's callbacks.
func (s *Server) signedRequest(r *http.Request) (*signedPayload, error) {
	if s.cfg.AppSecret == "" {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Message: "Meta callbacks need IGTOKEN_APP_SECRET, which is not configured"}
	}
	if err := r.ParseForm(); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBadRequest,
				Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
		}
		return nil, badRequest("cannot read the form: %v", err)
	}
	sr := r.PostForm.Get("signed_request")
	if sr == "" {
		return nil, badRequest("the signed_request form field is missing")
	}
	p, err := parseSignedRequest(sr, s.cfg.AppSecret)
	if err != nil {
		s.log.Warn("signed_request refused", "path", r.URL.Path, "reason", err.Error())
		return nil, badRequest("%s", err.Error())
	}
	return p, nil
}

// handleDeauthorize is Meta's deauthorize callback (instagram-api.md §7.3):
// the user removed the app, so the account's token is dropped and it waits
// for a reconnect. An unknown user is answered 200 too, or Meta would retry
// forever.
func (s *Server) handleDeauthorize(w http.ResponseWriter, r *http.Request) {
	p, err := s.signedRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.m.Deauthorize(r.Context(), string(p.UserID))
	switch {
	case errors.Is(err, igtoken.ErrNotFound):
		s.log.Info("deauthorize for an unknown user", "app_scoped_id", string(p.UserID))
	case err != nil:
		s.writeError(w, r, err)
		return
	default:
		s.log.Info("account deauthorized by meta", "account_id", a.ID, "username", a.Username)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// deletionResponse is what Meta expects from the data deletion callback
// (instagram-api.md §7.2).
type deletionResponse struct {
	URL              string `json:"url"`
	ConfirmationCode string `json:"confirmation_code"`
}

// handleDataDeletion is Meta's data deletion callback (§7.2): everything
// stored about the user is deleted at once, and Meta gets a URL where the
// user can check the status and a confirmation code.
func (s *Server) handleDataDeletion(w http.ResponseWriter, r *http.Request) {
	p, err := s.signedRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.m.DeleteData(r.Context(), string(p.UserID))
	found := err == nil
	switch {
	case errors.Is(err, igtoken.ErrNotFound):
		s.log.Info("data deletion for an unknown user: nothing stored", "app_scoped_id", string(p.UserID))
	case err != nil:
		s.writeError(w, r, err)
		return
	default:
		s.log.Info("account data deleted at meta's request", "account_id", a.ID)
	}
	code := s.deletions.add(found)
	writeJSON(w, http.StatusOK, deletionResponse{
		URL:              s.baseURL(r) + "/meta/deletion-status/" + code,
		ConfirmationCode: code,
	})
}

// handleDeletionStatus is the page the deletion URL shows.
func (s *Server) handleDeletionStatus(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	d, ok := s.deletions.get(code)
	if !ok {
		s.writeErrorPage(w, r, page{Title: "Unknown deletion request"}, &Error{Status: http.StatusNotFound,
			Code: CodeNotFound, Message: "No data deletion request has the confirmation code " + code + "."})
		return
	}
	p := page{
		Title: "Data deletion request " + code,
		Message: fmt.Sprintf("Status: completed. The request was received on %s and carried out at once.",
			d.at.UTC().Format("2 Jan 2006 15:04 MST")),
	}
	if d.found {
		p.Details = []string{"All data this service held about the Instagram user was deleted: the access token, " +
			"the account record and its refresh history."}
	} else {
		p.Details = []string{"This service held no data about the Instagram user, so there was nothing to delete."}
	}
	s.renderPage(w, http.StatusOK, p)
}

// baseURL is the service's external origin: Config.PublicURL, else the
// redirect URI's origin, else what the request says.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Bounds of the in-memory deletion confirmations.
const (
	deletionTTL = 90 * 24 * time.Hour
	maxDeletion = 10000
)

// deletions keeps data deletion confirmations in memory, keyed by code.
// They do not survive a restart: the deletion itself does.
type deletions struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]deletion
}

type deletion struct {
	at    time.Time
	found bool // the user had data here
}

func newDeletions(now func() time.Time) *deletions {
	return &deletions{now: now, m: make(map[string]deletion)}
}

// add records a deletion and returns its new confirmation code.
func (d *deletions) add(found bool) string {
	code := rand.Text()[:20] // base32: upper-case letters and digits
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.m[code] = deletion{at: now, found: found}
	d.pruneLocked(now)
	return code
}

func (d *deletions) get(code string) (deletion, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[code]
	return e, ok
}

// pruneLocked drops confirmations older than deletionTTL, then the oldest
// beyond maxDeletion.
func (d *deletions) pruneLocked(now time.Time) {
	for c, e := range d.m {
		if now.Sub(e.at) > deletionTTL {
			delete(d.m, c)
		}
	}
	if len(d.m) <= maxDeletion {
		return
	}
	codes := make([]string, 0, len(d.m))
	for c := range d.m {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return d.m[codes[i]].at.Before(d.m[codes[j]].at) })
	for _, c := range codes[:len(codes)-maxDeletion] {
		delete(d.m, c)
	}
}
