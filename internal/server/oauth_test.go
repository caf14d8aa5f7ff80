package server_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/server"
)

func TestConnect_FullFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// A browser that follows every redirect: /connect → Instagram → callback.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.ts.URL+"/connect", nil)
	page := e.do(t, c, req)
	wantStatus(t, "the login", page, http.StatusOK)
	all := e.accounts(t)
	if len(all) != 1 {
		t.Fatalf("%d accounts stored, want 1", len(all))
	}
	a := all[0]
	wantContains(t, "the success page", page.body, "Connected @"+a.Username, "long-lived token, expires",
		a.Token.ExpiresAt.UTC().Format("2 Jan 2006"), "in 59 days")
	if a.Token.Kind != igtoken.LongLived || !e.emu.TokenValid(a.Token.Value) {
		t.Errorf("stored token: kind %s, valid %v; want a valid long-lived token", a.Token.Kind, e.emu.TokenValid(a.Token.Value))
	}
	if n := e.emu.Calls(emulator.EndpointAccessToken); n != 1 {
		t.Errorf("%d code exchanges, want 1", n)
	}
}

func TestConnect_RedirectAndCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	b := e.browser()
	r := b.get(t, "/connect")
	wantStatus(t, "GET /connect", r, http.StatusFound)
	u, err := url.Parse(r.location)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/oauth/authorize" || q.Get("client_id") != emulator.DefaultAppID || q.Get("redirect_uri") != e.callback ||
		q.Get("response_type") != "code" || q.Get("scope") != "instagram_business_basic,instagram_business_content_publish" {
		t.Errorf("redirect = %s, want Instagram's authorize URL for the app", r.location)
	}
	state := q.Get("state")
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "igtoken_oauth_state" {
			cookie = c
		}
	}
	switch {
	case cookie == nil:
		t.Fatal("no state cookie")
	case cookie.Value != state || state == "":
		t.Errorf("cookie %q does not hold the state %q", cookie.Value, state)
	case !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure:
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure over http", cookie)
	case cookie.MaxAge != 600:
		t.Errorf("cookie MaxAge = %d, want 600", cookie.MaxAge)
	}
	if other := b.get(t, "/connect"); strings.Contains(other.location, url.QueryEscape(state)) {
		t.Error("two logins got the same state")
	}

	// Behind a TLS-terminating proxy the cookie is Secure.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.ts.URL+"/connect", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	r = e.do(t, b.c, req)
	if !strings.Contains(r.header.Get("Set-Cookie"), "Secure") {
		t.Errorf("Set-Cookie behind https = %q, want Secure", r.header.Get("Set-Cookie"))
	}
}

func TestCallback_BadState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// tamper turns a valid callback URL into the one visited; it may
		// also change the browser's cookies or the server's clock.
		tamper func(t *testing.T, e *env, b *browser, callback string) string
		want   string
	}{
		{"Missing", func(t *testing.T, e *env, b *browser, cb string) string {
			return withQuery(t, cb, "state", "")
		}, "missing its state"},
		{"NoCookie", func(t *testing.T, e *env, b *browser, cb string) string {
			b.c.Jar, _ = cookiejar.New(nil)
			return cb
		}, "did not start the login"},
		{"OtherBrowser", func(t *testing.T, e *env, b *browser, cb string) string {
			other := e.browser()
			other.get(t, "/connect")
			b.c.Jar = other.c.Jar // the cookie of another login
			return cb
		}, "does not belong to this browser"},
		{"Forged", func(t *testing.T, e *env, b *browser, cb string) string {
			// A state of the right shape, signed with another key, in both
			// the URL and the cookie.
			forged := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			setCookie(t, e, b, forged)
			return withQuery(t, cb, "state", forged)
		}, "not one this service issued"},
		{"Tampered", func(t *testing.T, e *env, b *browser, cb string) string {
			u, _ := url.Parse(cb)
			state := []byte(u.Query().Get("state"))
			if state[0] == 'A' {
				state[0] = 'B'
			} else {
				state[0] = 'A'
			}
			setCookie(t, e, b, string(state))
			return withQuery(t, cb, "state", string(state))
		}, "not one this service issued"},
		{"Expired", func(t *testing.T, e *env, b *browser, cb string) string {
			e.clock.advance(11 * time.Minute)
			return cb
		}, "longer than 10 minutes"},
		{"Replayed", func(t *testing.T, e *env, b *browser, cb string) string {
			// The state was used by a completed login; the attacker
			// replays it, cookie and all, with a code of their own.
			u, _ := url.Parse(cb)
			state := u.Query().Get("state")
			wantStatus(t, "the first use", b.get(t, cb), http.StatusOK)
			if err := e.mgr.Remove(t.Context(), e.accounts(t)[0].ID); err != nil {
				t.Fatal(err)
			}
			setCookie(t, e, b, state)
			return withQuery(t, cb, "code", e.emu.IssueCode("mallory", e.callback))
		}, "already used"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := e.browser()
			cb := tc.tamper(t, e, b, b.authorize(t, "alice", false))
			calls := e.emu.Calls(emulator.EndpointAccessToken)
			r := b.get(t, cb)
			wantStatus(t, "the callback", r, http.StatusBadRequest)
			wantContains(t, "the error page", r.body, "not connected", tc.want, `href="/connect"`)
			if n := len(e.accounts(t)); n != 0 {
				t.Errorf("%d accounts stored, want none", n)
			}
			if n := e.emu.Calls(emulator.EndpointAccessToken); n != calls {
				t.Errorf("the code was exchanged (%d calls) despite a bad state", n-calls)
			}
		})
	}
}

func withQuery(t *testing.T, rawURL, key, value string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func setCookie(t *testing.T, e *env, b *browser, value string) {
	t.Helper()
	u, _ := url.Parse(e.ts.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "igtoken_oauth_state", Value: value, Path: "/"}})
}

func TestCallback_AccessDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	b := e.browser()
	cb := b.authorize(t, "alice", true)
	r := b.get(t, cb)
	wantStatus(t, "the callback", r, http.StatusBadRequest)
	wantContains(t, "the page", r.body, "You cancelled", `href="/connect"`)
	if n := len(e.accounts(t)); n != 0 {
		t.Errorf("%d accounts stored, want none", n)
	}
}

func TestCallback_StripsFragmentFromCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	b := e.browser()
	cb := b.authorize(t, "alice", false)
	u, _ := url.Parse(cb)
	// A link pasted with Instagram's "#_" escaped into the code (§1.2).
	r := b.get(t, withQuery(t, cb, "code", u.Query().Get("code")+"#_"))
	wantStatus(t, "the callback", r, http.StatusOK)
	wantContains(t, "the page", r.body, "Connected @alice")
}

func TestCallback_ReusedCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	b := e.browser()
	cb := b.authorize(t, "alice", false)
	wantStatus(t, "the first login", b.get(t, cb), http.StatusOK)
	if err := e.mgr.Remove(t.Context(), e.accounts(t)[0].ID); err != nil {
		t.Fatal(err)
	}
	// A fresh state, the spent code.
	fresh := b.authorize(t, "alice", false)
	u, _ := url.Parse(cb)
	r := b.get(t, withQuery(t, fresh, "code", u.Query().Get("code")))
	wantStatus(t, "the callback with a used code", r, http.StatusBadRequest)
	wantContains(t, "the page", r.body, "nothing was stored", "already used")
	if n := len(e.accounts(t)); n != 0 {
		t.Errorf("%d accounts stored, want none", n)
	}
}

func TestCallback_MetaFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		endpoint string
		fault    emulator.Fault
		status   int
		want     string
	}{
		{"ExchangeOutage", emulator.EndpointAccessToken, emulator.Fault{Status: http.StatusServiceUnavailable}, http.StatusBadGateway, "Instagram failed"},
		{"ExchangeGarbage", emulator.EndpointAccessToken, emulator.Fault{Malformed: true}, http.StatusBadGateway, "Instagram failed"},
		{"MeOutage", emulator.EndpointMe, emulator.Fault{Code: 2}, http.StatusBadGateway, "Instagram failed"},
		{"ExchangeHangs", emulator.EndpointAccessToken, emulator.Fault{Hang: true}, http.StatusGatewayTimeout, "did not answer in time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(cfg *server.Config, _ *env) { cfg.RequestTimeout = 300 * time.Millisecond })
			b := e.browser()
			cb := b.authorize(t, "alice", false)
			e.emu.FailNext(tc.endpoint, 10, tc.fault)
			r := b.get(t, cb)
			wantStatus(t, "the callback", r, tc.status)
			wantContains(t, "the page", r.body, "nothing was stored", tc.want)
			if n := len(e.accounts(t)); n != 0 {
				t.Errorf("%d accounts stored, want none", n)
			}
		})
	}
}

func TestCallback_SlowMeta(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(cfg *server.Config, _ *env) { cfg.RequestTimeout = 200 * time.Millisecond })
	b := e.browser()
	cb := b.authorize(t, "alice", false)
	e.emu.SetLatency(2 * time.Second)
	start := time.Now()
	r := b.get(t, cb)
	wantStatus(t, "the callback", r, http.StatusGatewayTimeout)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("the callback took %v, want it cut at the request timeout", d)
	}
	if n := len(e.accounts(t)); n != 0 {
		t.Errorf("%d accounts stored, want none", n)
	}
}

func TestCallback_ConvertFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	b := e.browser()
	cb := b.authorize(t, "alice", false)
	e.emu.FailNext(emulator.EndpointIGExchangeToken, 10, emulator.Fault{Code: 2})
	r := b.get(t, cb)
	wantStatus(t, "the callback", r, http.StatusOK)
	wantContains(t, "the page", r.body, "Connected @alice", "short-lived token", "one-hour token was stored")
	if all := e.accounts(t); len(all) != 1 || all[0].Token.Kind != igtoken.ShortLived {
		t.Errorf("stored %d accounts, want alice with a short-lived token", len(all))
	}
}

func TestCallback_ReconnectsNeedsReconnectAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	b := e.browser()
	wantStatus(t, "the first login", b.connect(t, "alice"), http.StatusOK)
	// The user changes their password; the next refresh finds out.
	e.emu.Revoke("alice", 460)
	e.emu.Advance(36 * day)
	if _, err := e.mgr.Refresh(t.Context(), igtoken.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := e.mgr.Statuses(t.Context())
	if err != nil || st[0].State != igtoken.StateNeedsReconnect {
		t.Fatalf("after the revoke: %+v, %v; want needs_reconnect", st, err)
	}

	r := b.connect(t, "alice")
	wantStatus(t, "the reconnect", r, http.StatusOK)
	wantContains(t, "the page", r.body, "Reconnected @alice", "usable again")
	st, err = e.mgr.Statuses(t.Context())
	if err != nil || len(st) != 1 || st[0].State != igtoken.StateOK {
		t.Errorf("after the reconnect: %+v, %v; want one ok account", st, err)
	}
}

func TestServer_CustomCallbackPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(cfg *server.Config, e *env) { cfg.RedirectURI = e.ts.URL + "/oauth/instagram" })
	b := e.browser()
	if r := b.get(t, "/oauth/instagram?state=x&code=y"); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, "did not start the login") {
		t.Errorf("GET /oauth/instagram = %d, want the callback's 400 page:\n%s", r.status, r.body)
	}
	if r := b.get(t, "/callback?state=x&code=y"); r.status != http.StatusNotFound {
		t.Errorf("GET /callback = %d, want 404 when the callback is elsewhere", r.status)
	}
}
