package server

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/igtoken/igtoken"
)

// handleConnect starts a web login: it binds a fresh state to the browser
// with a cookie and sends the browser to Instagram's consent page.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	state, exp := s.states.issue()
	setStateCookie(w, r, state, exp)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.m.AuthURL(state, s.cfg.Scopes), http.StatusFound)
}

// handleCallback finishes a web login, as `igtoken authenticate` does:
// check the state, then Manager.Login with the code. Nothing is stored
// unless the whole exchange succeeds.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clearStateCookie(w, r)
	failed := page{Title: "Instagram account not connected", Again: true}
	if e := q.Get("error"); e != "" {
		s.callbackDenied(w, r, e, q.Get("error_description"))
		return
	}
	cookie := ""
	if c, err := r.Cookie(stateCookie); err == nil {
		cookie = c.Value
	}
	if err := s.states.consume(q.Get("state"), cookie); err != nil {
		s.log.Warn("oauth state refused", "reason", err.Error())
		s.writeErrorPage(w, r, failed, &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: err.Error()})
		return
	}
	// A browser never sends the "#_" fragment, but a pasted or re-encoded
	// link may carry it inside the code (instagram-api.md §1.2).
	code := strings.TrimSuffix(strings.TrimSpace(q.Get("code")), "#_")
	if code == "" {
		s.writeErrorPage(w, r, failed, badRequest("Instagram sent no authorization code"))
		return
	}
	res, err := s.m.Login(r.Context(), code)
	if err != nil {
		if ctxErr := r.Context().Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			// The retries stopped because the request ran out of time.
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		failed.Message = "Logging in with Instagram failed; nothing was stored."
		s.writeErrorPage(w, r, failed, err)
		return
	}
	a := res.Account
	s.log.Info("account connected", "account_id", a.ID, "username", a.Username,
		"fingerprint", a.Token.Fingerprint(), "reconnected", res.Reconnected)
	s.renderPage(w, http.StatusOK, connectedPage(res, s.m.Now))
}

// callbackDenied answers Instagram's error redirect (§1.2).
func (s *Server) callbackDenied(w http.ResponseWriter, r *http.Request, code, description string) {
	err := badRequest("Instagram refused the login: %s %s", code, description)
	if code == "access_denied" {
		err.Message = "You cancelled the login on Instagram, so no account was connected."
	}
	s.log.Info("oauth login refused on instagram", "error", code)
	s.writeErrorPage(w, r, page{Title: "Instagram account not connected", Again: true}, err)
}

// connectedPage describes a successful login.
func connectedPage(res *igtoken.LoginResult, clock func() time.Time) page {
	now := time.Now()
	if clock != nil {
		now = clock()
	}
	a := res.Account
	title := "Connected @" + a.Username
	if res.Reconnected {
		title = "Reconnected @" + a.Username
	}
	kind := "long-lived token"
	if a.Token.Kind == igtoken.ShortLived {
		kind = "short-lived token"
	}
	p := page{Title: title, Message: fmt.Sprintf("%s — %s, expires %s (%s).",
		title, kind, a.Token.ExpiresAt.UTC().Format("2 Jan 2006 15:04 MST"), inDays(a.Token.ExpiresAt.Sub(now)))}
	if res.Reconnected {
		p.Details = append(p.Details, "The account needed a reconnect; it is usable again.")
	}
	if res.ConvertErr != nil {
		p.Details = append(p.Details,
			"Exchanging it for a 60-day token failed, so the one-hour token was stored; the refresher will convert it soon ("+
				res.ConvertErr.Error()+").")
	}
	p.Details = append(p.Details, "igtoken will refresh it before it expires. You can close this page.")
	return p
}

func inDays(d time.Duration) string {
	switch days := d.Hours() / 24; {
	case days >= 2:
		return fmt.Sprintf("in %d days", int(math.Floor(days)))
	case d > time.Hour:
		return fmt.Sprintf("in %d hours", int(d.Hours()))
	case d > 0:
		return fmt.Sprintf("in %d minutes", int(math.Ceil(d.Minutes())))
	}
	return "already expired"
}
