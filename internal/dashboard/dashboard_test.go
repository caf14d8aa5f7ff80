package dashboard_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/dashboard"
	"github.com/igtoken/igtoken/internal/testenv"
)

const (
	adminToken = "correct horse battery staple"
	day        = 24 * time.Hour
)

// env is the dashboard over a real Manager, a real SQLite store and the
// emulator over real HTTP.
type env struct {
	emu  *emulator.Server
	mgr  *igtoken.Manager
	dash *dashboard.Handler
	srv  *httptest.Server // serves dash
}

// newEnv starts the dashboard; configure, if not nil, adjusts its Config.
func newEnv(tb testing.TB, emuCfg emulator.Config, configure func(*dashboard.Config, *env)) *env {
	tb.Helper()
	emu := emulator.New(emuCfg)
	meta := httptest.NewServer(emu)
	tb.Cleanup(meta.Close)
	m := testenv.Manager(testenv.Store(tb), testenv.Client(meta.URL, emulator.DefaultRedirectURI), emu)
	m.Retry.Attempts = 2
	e := &env{emu: emu, mgr: m}

	cfg := dashboard.Config{AdminToken: adminToken, Now: emu.Now}
	if configure != nil {
		configure(&cfg, e)
	}
	h, err := dashboard.New(cfg, m)
	if err != nil {
		tb.Fatal(err)
	}
	e.dash = h
	e.srv = httptest.NewServer(h)
	tb.Cleanup(e.srv.Close)
	return e
}

// login connects username through the real code flow.
func (e *env) login(tb testing.TB, username string) *igtoken.Account {
	tb.Helper()
	code := e.emu.IssueCode(username, emulator.DefaultRedirectURI)
	res, err := e.mgr.Login(tb.Context(), code+"#_")
	if err != nil {
		tb.Fatalf("Login(%s): %v", username, err)
	}
	return res.Account
}

// withSandbox gives the dashboard the emulator and a refresh pass.
func withSandbox(cfg *dashboard.Config, e *env) {
	cfg.Sandbox = e.emu
	cfg.Now = nil // the sandbox clock is the default
	r := &igtoken.Refresher{Manager: e.mgr}
	cfg.RunPass = func(ctx context.Context) error {
		_, err := r.Pass(ctx)
		return err
	}
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see every 303.
type browser struct {
	tb   testing.TB
	base string
	c    *http.Client
	csrf string // from the last page that had a form
}

func (e *env) browser(tb testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{tb: tb, base: e.srv.URL, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status   int
	location string
	body     string
	header   http.Header
	cookies  []*http.Cookie
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) response {
	b.tb.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.tb.Fatal(err)
	}
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return response{res.StatusCode, res.Header.Get("Location"), string(body), res.Header, res.Cookies()}
}

func (b *browser) get(path string) response {
	b.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.do(req)
}

// post sends form to path; it adds the CSRF token of the last page unless
// form already has a "csrf" key.
func (b *browser) post(path string, form url.Values) response {
	b.tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// logIn logs the browser in and loads the account table.
func (b *browser) logIn() response {
	b.tb.Helper()
	res := b.post("/login", url.Values{"token": {adminToken}})
	if res.status != http.StatusSeeOther || res.location != "/" {
		b.tb.Fatalf("login: %d to %q, want 303 to /", res.status, res.location)
	}
	page := b.get("/")
	if page.status != http.StatusOK || b.csrf == "" {
		b.tb.Fatalf("after login GET / = %d, csrf %q", page.status, b.csrf)
	}
	return page
}

// follow posts and then loads the page the 303 leads to.
func (b *browser) follow(path string, form url.Values) response {
	b.tb.Helper()
	res := b.post(path, form)
	if res.status != http.StatusSeeOther {
		b.tb.Fatalf("POST %s = %d, want 303; body:\n%s", path, res.status, res.body)
	}
	return b.get(res.location)
}

func wantContains(tb testing.TB, what, body string, subs ...string) {
	tb.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			tb.Errorf("%s does not contain %q", what, s)
		}
	}
}

func TestNew_RequiresAdminToken(t *testing.T) {
	if _, err := dashboard.New(dashboard.Config{}, &igtoken.Manager{}); err == nil {
		t.Error("New without an admin token succeeded, want an error")
	}
}

func TestHandler_LoginRequired(t *testing.T) {
	e := newEnv(t, emulator.Config{}, nil)
	a := e.login(t, "alice")
	b := e.browser(t)

	res := b.get("/")
	if res.status != http.StatusOK || !strings.Contains(res.body, `name="token"`) {
		t.Fatalf("GET / logged out = %d, want 200 with the login form", res.status)
	}
	if strings.Contains(res.body, "alice") || strings.Contains(res.body, a.ID) {
		t.Error("the login page shows an account")
	}
	res = b.get("/accounts/" + a.ID)
	if want := "/?next=%2Faccounts%2F" + a.ID; res.status != http.StatusSeeOther || res.location != want {
		t.Errorf("GET account logged out = %d to %q, want 303 to %q", res.status, res.location, want)
	}
	for _, path := range []string{"/accounts/" + a.ID + "/refresh", "/accounts/" + a.ID + "/remove"} {
		res = b.post(path, url.Values{"csrf": {"x"}, "confirm": {"yes"}})
		if res.status != http.StatusUnauthorized || !strings.Contains(res.body, `name="token"`) {
			t.Errorf("POST %s logged out = %d, want 401 with the login form", path, res.status)
		}
	}
	if res = b.post("/logout", nil); res.status != http.StatusSeeOther || res.location != "/" {
		t.Errorf("POST /logout logged out = %d to %q, want 303 to /", res.status, res.location)
	}
	if _, err := e.mgr.Resolve(t.Context(), a.ID); err != nil {
		t.Errorf("the account is gone after an unauthenticated remove: %v", err)
	}
}

func TestHandler_Login(t *testing.T) {
	e := newEnv(t, emulator.Config{}, nil)
	a := e.login(t, "alice")

	t.Run("BadToken", func(t *testing.T) {
		b := e.browser(t)
		for _, token := range []string{"", "wrong", adminToken + " ", adminToken[:5]} {
			res := b.post("/login", url.Values{"token": {token}})
			if res.status != http.StatusUnauthorized {
				t.Errorf("login with %q = %d, want 401", token, res.status)
			}
			wantContains(t, "the 401 page", res.body, "not the admin token", `name="token"`)
			if len(res.cookies) != 0 {
				t.Errorf("login with %q set cookies %v", token, res.cookies)
			}
		}
		if res := b.get("/"); strings.Contains(res.body, "alice") {
			t.Error("a failed login shows the accounts")
		}
	})

	t.Run("OK", func(t *testing.T) {
		b := e.browser(t)
		res := b.post("/login", url.Values{"token": {adminToken}})
		if res.status != http.StatusSeeOther || len(res.cookies) != 1 {
			t.Fatalf("login = %d with cookies %v", res.status, res.cookies)
		}
		c := res.cookies[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" || c.MaxAge <= 0 {
			t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, not Secure over http, Path=/", c)
		}
		if strings.Contains(c.Value, adminToken) {
			t.Error("the session cookie holds the admin token")
		}
		page := b.get("/")
		wantContains(t, "the account table", page.body, "@alice", a.ID, "long-lived", "badge-ok", `href="/connect"`)
	})

	t.Run("SecureBehindHTTPS", func(t *testing.T) {
		b := e.browser(t)
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader("token="+url.QueryEscape(adminToken)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		res := b.do(req)
		if len(res.cookies) != 1 || !res.cookies[0].Secure {
			t.Errorf("cookies %v, want one Secure session cookie", res.cookies)
		}
	})

	t.Run("Next", func(t *testing.T) {
		for next, want := range map[string]string{
			"/accounts/" + a.ID:    "/accounts/" + a.ID,
			"//evil.example/":      "/",
			"https://evil.example": "/",
			"/\\evil.example":      "/",
			"":                     "/",
		} {
			res := e.browser(t).post("/login", url.Values{"token": {adminToken}, "next": {next}})
			if res.location != want {
				t.Errorf("login with next=%q redirects to %q, want %q", next, res.location, want)
			}
		}
	})

	t.Run("Logout", func(t *testing.T) {
		b := e.browser(t)
		b.logIn()
		u, _ := url.Parse(e.srv.URL)
		stolen := b.c.Jar.Cookies(u)
		res := b.follow("/logout", nil)
		if !strings.Contains(res.body, `name="token"`) || !strings.Contains(res.body, "Logged out") {
			t.Error("after logout / does not show the login form and the flash")
		}
		// The old cookie no longer works, even if someone kept it.
		replay := e.browser(t)
		replay.c.Jar.SetCookies(u, stolen)
		if res := replay.get("/"); !strings.Contains(res.body, `name="token"`) {
			t.Error("a logged-out session cookie still opens the dashboard")
		}
	})

	t.Run("Headers", func(t *testing.T) {
		res := e.browser(t).get("/")
		for k, want := range map[string]string{
			"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
		} {
			if got := res.header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP = %q", csp)
		}
	})
}

func TestHandler_CSRF(t *testing.T) {
	e := newEnv(t, emulator.Config{}, nil)
	a := e.login(t, "alice")
	e.emu.Advance(2 * day)
	b := e.browser(t)
	b.logIn()
	other := e.browser(t)
	other.logIn()
	path := "/accounts/" + a.ID + "/refresh"

	for name, form := range map[string]url.Values{
		"Missing":      {"csrf": nil},
		"Empty":        {"csrf": {""}},
		"Wrong":        {"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
		"OtherSession": {"csrf": {other.csrf}},
		"Truncated":    {"csrf": {b.csrf[:len(b.csrf)-1]}},
	} {
		t.Run(name, func(t *testing.T) {
			if res := b.post(path, form); res.status != http.StatusForbidden {
				t.Errorf("POST with %s CSRF token = %d, want 403", name, res.status)
			}
		})
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 0 {
		t.Fatalf("%d refresh calls after refused forms, want 0", n)
	}

	t.Run("CrossSite", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader("csrf="+b.csrf))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := b.do(req); res.status != http.StatusForbidden {
			t.Errorf("cross-site POST = %d, want 403", res.status)
		}
	})

	if res := b.post(path, nil); res.status != http.StatusSeeOther {
		t.Errorf("POST with the right token = %d, want 303", res.status)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 1 {
		t.Errorf("%d refresh calls, want 1", n)
	}
}

func TestHandler_Refresh(t *testing.T) {
	e := newEnv(t, emulator.Config{}, nil)
	a := e.login(t, "alice")
	b := e.browser(t)
	b.logIn()
	path := "/accounts/" + a.ID + "/refresh"

	t.Run("TooYoung", func(t *testing.T) {
		page := b.follow(path, nil)
		wantContains(t, "the flash", page.body, "flash-info", "@alice was not refreshed", "Instagram refreshes only tokens at least")
		if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 0 {
			t.Errorf("%d refresh calls for a new token, want 0", n)
		}
	})

	t.Run("Refreshed", func(t *testing.T) {
		e.emu.Advance(2 * day)
		page := b.follow(path, nil)
		wantContains(t, "the flash", page.body, "flash-ok", "Refreshed @alice: the token now expires")
		if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 1 {
			t.Errorf("%d refresh calls, want 1", n)
		}
		h, err := e.mgr.History(t.Context(), a.ID, 1)
		if err != nil || len(h) != 1 || h[0].Outcome != igtoken.OutcomeRefreshed || h[0].Trigger != igtoken.TriggerServe {
			t.Errorf("latest history = %+v, %v; want refreshed by serve", h, err)
		}
		if again := b.get("/"); strings.Contains(again.body, "flash-ok") {
			t.Error("the flash message shows twice")
		}
	})

	t.Run("BackToAccountPage", func(t *testing.T) {
		res := b.post(path, url.Values{"return": {"account"}})
		if res.location != "/accounts/"+a.ID {
			t.Errorf("redirect to %q, want the account page", res.location)
		}
	})

	t.Run("ByUsername", func(t *testing.T) {
		if res := b.post("/accounts/alice/refresh", nil); res.status != http.StatusSeeOther {
			t.Errorf("refresh by username = %d, want 303", res.status)
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		if res := b.post("/accounts/nobody/refresh", nil); res.status != http.StatusNotFound {
			t.Errorf("refresh of an unknown account = %d, want 404", res.status)
		}
	})

	t.Run("Revoked", func(t *testing.T) {
		e.emu.Advance(2 * day)
		e.emu.Revoke("alice", 460)
		page := b.follow(path, nil)
		wantContains(t, "the flash", page.body, "flash-error", "@alice must reconnect", "badge-needs_reconnect")
	})
}

func TestHandler_AccountPage(t *testing.T) {
	e := newEnv(t, emulator.Config{}, nil)
	a := e.login(t, "alice")
	e.emu.Advance(2 * day)
	if _, err := e.mgr.Refresh(t.Context(), igtoken.RunOptions{Trigger: igtoken.TriggerCron, Force: true}); err != nil {
		t.Fatal(err)
	}
	stored, err := e.mgr.Resolve(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.logIn()

	page := b.get("/accounts/" + a.ID)
	if page.status != http.StatusOK {
		t.Fatalf("account page = %d", page.status)
	}
	wantContains(t, "the account page", page.body,
		"@alice", a.ID, a.AppScopedID, "Refresh history",
		"connected", "login", "refreshed", "cron", stored.Token.Fingerprint())
	if n := strings.Count(page.body, "<tr>") - 1; n != 2 {
		t.Errorf("%d history rows, want 2", n)
	}
	if res := b.get("/accounts/12345"); res.status != http.StatusNotFound {
		t.Errorf("unknown account page = %d, want 404", res.status)
	}
	if res := b.get("/no/such/page"); res.status != http.StatusNotFound {
		t.Errorf("unknown path = %d, want 404", res.status)
	}
	css := b.get("/static/dashboard.css")
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet = %d %s", css.status, css.header.Get("Content-Type"))
	}
}

func TestHandler_Remove(t *testing.T) {
	e := newEnv(t, emulator.Config{}, nil)
	a := e.login(t, "alice")
	e.login(t, "bob")
	b := e.browser(t)
	b.logIn()

	confirm := b.get("/accounts/" + a.ID + "/remove")
	wantContains(t, "the confirmation page", confirm.body, "Remove @alice?", `name="confirm" value="yes"`)

	res := b.post("/accounts/"+a.ID+"/remove", nil)
	if res.status != http.StatusSeeOther || res.location != "/accounts/"+a.ID+"/remove" {
		t.Errorf("remove without confirm = %d to %q, want 303 to the confirmation", res.status, res.location)
	}
	if _, err := e.mgr.Resolve(t.Context(), a.ID); err != nil {
		t.Fatalf("removed without confirmation: %v", err)
	}

	page := b.follow("/accounts/"+a.ID+"/remove", url.Values{"confirm": {"yes"}})
	wantContains(t, "the account table", page.body, "Removed @alice", "@bob")
	if strings.Contains(page.body, `href="/accounts/`+a.ID+`"`) {
		t.Error("the table still lists alice")
	}
	if _, err := e.mgr.Resolve(t.Context(), a.ID); !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("Resolve after remove: %v, want ErrNotFound", err)
	}
	if res := b.get("/accounts/" + a.ID); res.status != http.StatusNotFound {
		t.Errorf("removed account page = %d, want 404", res.status)
	}
}

func TestHandler_Sandbox(t *testing.T) {
	t.Run("Off", func(t *testing.T) {
		e := newEnv(t, emulator.Config{}, nil)
		a := e.login(t, "alice")
		b := e.browser(t)
		page := b.logIn()
		if strings.Contains(page.body, "Emulated clock") || strings.Contains(page.body, "/sandbox/") {
			t.Error("sandbox controls shown without a sandbox")
		}
		before := e.emu.Now()
		for _, path := range []string{"/sandbox/advance", "/sandbox/revoke/" + a.ID, "/sandbox/pass"} {
			if res := b.post(path, url.Values{"days": {"30"}}); res.status != http.StatusNotFound {
				t.Errorf("POST %s without a sandbox = %d, want 404", path, res.status)
			}
		}
		if e.emu.Now().Sub(before) > time.Hour {
			t.Error("the clock moved without a sandbox")
		}
	})

	e := newEnv(t, emulator.Config{}, withSandbox)
	a := e.login(t, "alice")
	b := e.browser(t)
	page := b.logIn()
	wantContains(t, "the sandbox bar", page.body, "Emulated clock", "+1 day", "+7 days", "+30 days",
		"Run refresh pass now", "/sandbox/revoke/"+a.ID)

	t.Run("Advance", func(t *testing.T) {
		before := e.emu.Now()
		b.follow("/sandbox/advance", url.Values{"days": {"30"}})
		page := b.follow("/sandbox/advance", url.Values{"days": {"7"}})
		if moved := e.emu.Now().Sub(before); moved < 37*day || moved > 37*day+time.Minute {
			t.Errorf("the clock moved %v, want 37 days", moved)
		}
		wantContains(t, "the page", page.body, "Emulated clock moved forward 7 days", "37 days ahead of real time")
		for _, days := range []string{"", "0", "-1", "x", "99999"} {
			if res := b.post("/sandbox/advance", url.Values{"days": {days}}); res.status != http.StatusBadRequest {
				t.Errorf("advance by %q = %d, want 400", days, res.status)
			}
		}
	})

	t.Run("RevokeAndPass", func(t *testing.T) {
		b.follow("/sandbox/revoke/"+a.ID, nil)
		if e.emu.TokenValid(mustToken(t, e, a.ID)) {
			t.Fatal("the token still works at the emulator after revoke")
		}
		page := b.follow("/sandbox/pass", nil)
		wantContains(t, "the page", page.body, "Refresh pass done", "badge-needs_reconnect")
		st, err := e.mgr.Statuses(t.Context(), a.ID)
		if err != nil || st[0].State != igtoken.StateNeedsReconnect {
			t.Errorf("state after revoke and a pass = %+v, %v; want needs_reconnect", st, err)
		}
		account := b.get("/accounts/" + a.ID)
		wantContains(t, "the account page", account.body, "needs_reconnect", "190/460", "serve")
	})
}

// mustToken reads the stored token value, for tests that check where it
// must not go.
func mustToken(tb testing.TB, e *env, id string) string {
	tb.Helper()
	a, err := e.mgr.Store().Account(tb.Context(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return a.Token.Value
}

func TestHandler_NoTokenValueOnAnyPage(t *testing.T) {
	e := newEnv(t, emulator.Config{RefreshRotates: true}, withSandbox)
	alice := e.login(t, "alice")
	bob := e.login(t, "bob")
	tokens := []string{mustToken(t, e, alice.ID), mustToken(t, e, bob.ID)}
	b := e.browser(t)
	b.logIn()

	e.emu.Advance(2 * day)
	b.follow("/accounts/"+alice.ID+"/refresh", nil)
	e.emu.Revoke("bob", 460)
	b.follow("/accounts/"+bob.ID+"/refresh", nil)
	tokens = append(tokens, mustToken(t, e, alice.ID))
	if tokens[2] == tokens[0] {
		t.Fatal("the refresh did not rotate the token")
	}

	var pages []response
	for _, path := range []string{"/", "/accounts/" + alice.ID, "/accounts/" + bob.ID, "/accounts/" + alice.ID + "/remove"} {
		pages = append(pages, b.get(path))
	}
	pages = append(pages, b.follow("/sandbox/pass", nil), b.follow("/accounts/"+alice.ID+"/refresh", url.Values{"return": {"account"}}))
	for i, p := range pages {
		if p.status != http.StatusOK {
			t.Errorf("page %d: status %d", i, p.status)
		}
		for _, tok := range tokens {
			if tok == "" || strings.Contains(p.body, tok) {
				t.Fatalf("page %d shows a token value", i)
			}
			for _, vals := range p.header {
				for _, v := range vals {
					if strings.Contains(v, tok) {
						t.Fatalf("page %d has a token value in a header", i)
					}
				}
			}
		}
	}
}
