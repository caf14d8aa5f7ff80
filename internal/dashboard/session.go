package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cookie names.
const (
	sessionCookie = "igtoken_session"
	flashCookie   = "igtoken_flash"
)

// maxFormSize bounds the body of every POST.
const maxFormSize = 64 << 10

// session is a logged-in admin. Its cookie holds the id and the expiry,
// signed with the Handler's secret; the CSRF token is derived from the id,
// so the server keeps no state per session except logouts.
type session struct {
	id      string
	expires time.Time
	csrf    string
}

// sign returns an HMAC-SHA256 of msg under the secret, for purpose.
func (h *Handler) sign(purpose string, msg []byte) []byte {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write(msg)
	return mac.Sum(nil)
}

// seal returns payload and its signature, as a cookie value.
func (h *Handler) seal(purpose string, payload []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(h.sign(purpose, payload))
}

// open checks a value made by seal and returns its payload.
func (h *Handler) open(purpose, value string) ([]byte, bool) {
	enc := base64.RawURLEncoding
	p, s, ok := strings.Cut(value, ".")
	if !ok {
		return nil, false
	}
	payload, err1 := enc.DecodeString(p)
	sig, err2 := enc.DecodeString(s)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, h.sign(purpose, payload)) {
		return nil, false
	}
	return payload, true
}

// newSession starts a session and returns its cookie. Sessions run on the
// wall clock, never the emulated one: moving the sandbox clock a month
// ahead must not log the admin out.
func (h *Handler) newSession(r *http.Request) *http.Cookie {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	expires := time.Now().Add(h.ttl).Truncate(time.Second)
	payload := binary.BigEndian.AppendUint64(id, uint64(expires.Unix()))
	return &http.Cookie{
		Name: sessionCookie, Value: h.seal("session", payload), Path: "/",
		Expires: expires, MaxAge: int(h.ttl / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r),
	}
}

// session returns the request's valid session, if any.
func (h *Handler) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	payload, ok := h.open("session", c.Value)
	if !ok || len(payload) != 24 {
		return session{}, false
	}
	s := session{
		id:      base64.RawURLEncoding.EncodeToString(payload[:16]),
		expires: time.Unix(int64(binary.BigEndian.Uint64(payload[16:])), 0),
	}
	if !time.Now().Before(s.expires) || h.sessions.revoked(s.id) {
		return session{}, false
	}
	s.csrf = base64.RawURLEncoding.EncodeToString(h.sign("csrf", []byte(s.id)))
	return s, true
}

// endSession forgets s (logout) and returns a cookie that clears it.
func (h *Handler) endSession(r *http.Request, s session) *http.Cookie {
	h.sessions.revoke(s.id, s.expires)
	return &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)}
}

// checkAdminToken compares a login attempt with the admin token in
// constant time (hashing first, so the length does not leak either).
func (h *Handler) checkAdminToken(given string) bool {
	a := sha256.Sum256([]byte(given))
	b := sha256.Sum256([]byte(h.cfg.AdminToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// isHTTPS reports whether the browser reached us over https, directly or
// through a proxy that says so.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sessionHandler is a handler that runs only inside a session.
type sessionHandler func(w http.ResponseWriter, r *http.Request, s session)

// requireSession runs next for a logged-in admin and sends anyone else to
// the login form, which brings them back afterwards.
func (h *Handler) requireSession(next sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.session(r)
		if !ok {
			http.Redirect(w, r, "/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		next(w, r, s)
	}
}

// requireCSRF runs next for a POST from a logged-in admin whose form
// carries the session's CSRF token: 401 without a session, 403 without the
// right token.
func (h *Handler) requireCSRF(next sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.session(r)
		if !ok {
			h.renderLogin(w, r, http.StatusUnauthorized, "Your session has ended: log in again.", "")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
		if err := r.ParseForm(); err != nil {
			h.renderError(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(s.csrf)) != 1 {
			h.log.Warn("dashboard: CSRF token missing or wrong", "path", r.URL.Path, "remote", r.RemoteAddr)
			h.renderError(w, r, http.StatusForbidden, "The form was stale or did not come from this dashboard. Reload the page and try again.")
			return
		}
		next(w, r, s)
	}
}

// revocations remembers logged-out sessions until they would have expired.
type revocations struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

func (v *revocations) revoke(id string, until time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	for k, exp := range v.ids {
		if now.After(exp) {
			delete(v.ids, k)
		}
	}
	if v.ids == nil {
		v.ids = make(map[string]time.Time)
	}
	v.ids[id] = until
}

func (v *revocations) revoked(id string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.ids[id]
	return ok
}

// flash is a one-time message shown after a POST-redirect-GET.
type flash struct {
	Kind    string `json:"k"` // "ok", "info" or "error"
	Message string `json:"m"`
}

// redirect sets a flash message and sends the browser to path with 303.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, path string, f flash) {
	if f.Message != "" {
		b, _ := json.Marshal(f)
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: h.seal("flash", b), Path: "/", MaxAge: 60,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// takeFlash returns the pending flash message, if any, and clears it.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
	b, ok := h.open("flash", c.Value)
	if !ok {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Message == "" {
		return nil
	}
	return &f
}
