package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// stateTTL is how long a login may take between /connect and the callback.
const stateTTL = 10 * time.Minute

// stateCookie binds a state to the browser that started the login.
const stateCookie = "igtoken_oauth_state"

// Reasons a state is refused; each is shown on the 400 page.
var (
	errStateMissing  = errors.New("the login link is missing its state: start again from /connect")
	errStateNoCookie = errors.New("this browser did not start the login (no state cookie): start again from /connect, in the same browser")
	errStateMismatch = errors.New("the state does not belong to this browser's login: start again from /connect")
	errStateForged   = errors.New("the state is not one this service issued")
	errStateExpired  = errors.New("the login took longer than 10 minutes: start again from /connect")
	errStateReplayed = errors.New("this login link was already used: start again from /connect")
)

// stateIssuer makes and checks OAuth states: nonce (16 bytes) and expiry
// (8 bytes, Unix seconds), base64url, then "." and the base64url HMAC-SHA256
// of that payload under the server secret. Used states are remembered until
// they expire, so each works once.
type stateIssuer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time

	mu   sync.Mutex
	used map[string]time.Time // payload → expiry
}

func newStateIssuer(secret []byte, ttl time.Duration, now func() time.Time) *stateIssuer {
	return &stateIssuer{secret: secret, ttl: ttl, now: now, used: make(map[string]time.Time)}
}

// issue returns a new state and its expiry.
func (si *stateIssuer) issue() (string, time.Time) {
	raw := make([]byte, 24)
	_, _ = rand.Read(raw[:16]) // crypto/rand.Read never fails (Go 1.24+)
	exp := si.now().Add(si.ttl).Truncate(time.Second)
	binary.BigEndian.PutUint64(raw[16:], uint64(exp.Unix()))
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return payload + "." + base64.RawURLEncoding.EncodeToString(si.mac(payload)), exp
}

func (si *stateIssuer) mac(payload string) []byte {
	h := hmac.New(sha256.New, si.secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// consume checks the state the callback received against the one in the
// browser's cookie, then marks it used.
func (si *stateIssuer) consume(state, cookie string) error {
	switch {
	case state == "":
		return errStateMissing
	case cookie == "":
		return errStateNoCookie
	case subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1:
		return errStateMismatch
	}
	payload, sig, ok := strings.Cut(state, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(got, si.mac(payload)) {
		return errStateForged
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(raw) != 24 {
		return errStateForged
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(raw[16:])), 0)
	now := si.now()
	if !now.Before(exp) {
		return errStateExpired
	}
	si.mu.Lock()
	defer si.mu.Unlock()
	if _, seen := si.used[payload]; seen {
		return errStateReplayed
	}
	for p, e := range si.used {
		if !now.Before(e) {
			delete(si.used, p)
		}
	}
	si.used[payload] = exp
	return nil
}

// setStateCookie binds state to the browser.
func setStateCookie(w http.ResponseWriter, r *http.Request, state string, exp time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: state, Path: "/", Expires: exp, MaxAge: int(stateTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r),
	})
}

func clearStateCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r),
	})
}

// isHTTPS reports whether the browser reached us over HTTPS, directly or
// through a proxy that says so.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
