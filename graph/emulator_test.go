package graph_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/graph"
)

const (
	testAppID       = "1000000000000042"
	testAppSecret   = "graph-test-app-secret"
	testRedirectURI = "http://localhost:8080/callback"
)

var testScopes = []string{"instagram_business_basic", "instagram_business_content_publish"}

// mustOpenEmulator serves a new emulator over real HTTP and returns a Client
// pointed at it for all three Meta hosts.
func mustOpenEmulator(tb testing.TB, cfg emulator.Config) (*emulator.Server, *graph.Client) {
	tb.Helper()
	cfg.AppID, cfg.AppSecret, cfg.RedirectURIs = testAppID, testAppSecret, []string{testRedirectURI}
	emu := emulator.New(cfg)
	srv := httptest.NewServer(emu)
	tb.Cleanup(srv.Close)
	tb.Cleanup(emu.Close) // runs first: releases hanging requests so srv.Close returns
	return emu, &graph.Client{
		AppID: testAppID, AppSecret: testAppSecret, RedirectURI: testRedirectURI,
		AuthURL: srv.URL, APIURL: srv.URL, GraphURL: srv.URL,
		Version:    "v23.0",
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	}
}

// authorize follows AuthCodeURL like a browser whose user consents (or not)
// and returns the redirect Location Instagram sends back.
func authorize(tb testing.TB, c *graph.Client, extra string) string {
	tb.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(c.AuthCodeURL("st4te", testScopes) + extra)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		tb.Fatalf("authorize status = %d, want 302", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// noSecret fails if err's text holds any of the secrets.
func noSecret(tb testing.TB, err error, secrets ...string) {
	tb.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			tb.Errorf("error text leaks a secret: %q", err)
		}
	}
}

func TestClient_Login_Emulator(t *testing.T) {
	t.Parallel()
	for _, shape := range []string{emulator.ShapeData, emulator.ShapeFlat} {
		t.Run(shape, func(t *testing.T) {
			t.Parallel()
			emu, c := mustOpenEmulator(t, emulator.Config{ExchangeShape: shape})
			loc := authorize(t, c, "&emulator_user=alice")
			if !strings.HasPrefix(loc, testRedirectURI+"?") || !strings.Contains(loc, "state=st4te") {
				t.Fatalf("redirect = %q, want %s?code=…&state=st4te", loc, testRedirectURI)
			}
			code, err := graph.ParseCode(loc)
			if err != nil {
				t.Fatal(err)
			}
			short, err := c.ExchangeCode(t.Context(), code)
			if err != nil {
				t.Fatalf("ExchangeCode: %v", err)
			}
			alice, ok := emu.User("alice")
			if !ok {
				t.Fatal(`emulator has no user "alice" after login`)
			}
			if short.UserID != alice.AppScopedID || !strings.HasPrefix(short.AccessToken, "IGAA") {
				t.Errorf("ExchangeCode = {UserID: %q, token prefix %.4q}, want UserID %q and an IGAA token",
					short.UserID, short.AccessToken, alice.AppScopedID)
			}
			if diff := cmp.Diff(testScopes, short.Permissions); diff != "" {
				t.Errorf("Permissions mismatch (-want +got):\n%s", diff)
			}

			long, err := c.ExchangeLongLived(t.Context(), short.AccessToken)
			if err != nil {
				t.Fatalf("ExchangeLongLived: %v", err)
			}
			if long.AccessToken == short.AccessToken || long.TokenType != "bearer" || long.ExpiresIn < 59*24*time.Hour {
				t.Errorf("ExchangeLongLived = {TokenType: %q, ExpiresIn: %v, same string: %v}, want a new bearer token for ~60 d",
					long.TokenType, long.ExpiresIn, long.AccessToken == short.AccessToken)
			}

			me, err := c.Me(t.Context(), long.AccessToken)
			if err != nil {
				t.Fatalf("Me: %v", err)
			}
			want := graph.User{ID: alice.AppScopedID, UserID: alice.InstagramID, Username: "alice"}
			got := graph.User{ID: me.ID, UserID: me.UserID, Username: me.Username}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Me mismatch (-want +got):\n%s", diff)
			}
			if me.AccountType != "BUSINESS" {
				t.Errorf("Me.AccountType = %q, want BUSINESS", me.AccountType)
			}
		})
	}
}

func TestClient_ExchangeCode_Errors_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{})
	code := emu.IssueCode("bob", testRedirectURI)
	if _, err := c.ExchangeCode(t.Context(), code+"#_"); err != nil {
		t.Fatalf("first ExchangeCode: %v", err)
	}
	_, err := c.ExchangeCode(t.Context(), code)
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Code != 400 || ge.StatusCode != 400 || ge.Type != "OAuthException" ||
		!strings.Contains(ge.Message, "Matching code was not found or was already used") {
		t.Fatalf("reused code: error = %#v, want the IG envelope (§1.3) as *graph.Error", err)
	}
	noSecret(t, err, code, testAppSecret)
	checkClass(t, err, false, false, "")

	bad := &graph.Client{AppID: c.AppID, AppSecret: "not-the-app-secret", RedirectURI: c.RedirectURI,
		AuthURL: c.AuthURL, APIURL: c.APIURL, GraphURL: c.GraphURL, HTTPClient: c.HTTPClient}
	_, err = bad.ExchangeCode(t.Context(), emu.IssueCode("bob", testRedirectURI))
	if !errors.As(err, &ge) || ge.Code != 400 {
		t.Errorf("wrong client secret: error = %v, want code 400", err)
	}
	noSecret(t, err, "not-the-app-secret")
}

func TestParseCode_Denied_Emulator(t *testing.T) {
	t.Parallel()
	_, c := mustOpenEmulator(t, emulator.Config{})
	loc := authorize(t, c, "&emulator_deny=1")
	_, err := graph.ParseCode(loc)
	if !errors.Is(err, graph.ErrAccessDenied) || !strings.Contains(err.Error(), "the user denied the authorization request") {
		t.Errorf("ParseCode(%q) error = %v, want ErrAccessDenied", loc, err)
	}
}

func TestClient_RefreshLongLived_Emulator(t *testing.T) {
	t.Parallel()
	for _, rotates := range []bool{false, true} {
		t.Run(map[bool]string{false: "SameString", true: "Rotates"}[rotates], func(t *testing.T) {
			t.Parallel()
			emu, c := mustOpenEmulator(t, emulator.Config{RefreshRotates: rotates})
			tok := emu.IssueToken("carol", true)

			_, err := c.RefreshLongLived(t.Context(), tok)
			var ge *graph.Error
			if !errors.As(err, &ge) || ge.Code == 190 {
				t.Fatalf("refresh of a fresh token: error = %v, want a non-190 *graph.Error (§1.5)", err)
			}
			noSecret(t, err, tok)
			checkClass(t, err, false, false, "")

			emu.Advance(25 * time.Hour)
			got, err := c.RefreshLongLived(t.Context(), tok)
			if err != nil {
				t.Fatalf("refresh after 25 h: %v", err)
			}
			if got.ExpiresIn < 59*24*time.Hour || got.ExpiresIn > 60*24*time.Hour {
				t.Errorf("ExpiresIn = %v, want about 60 days", got.ExpiresIn)
			}
			if (got.AccessToken != tok) != rotates {
				t.Errorf("refresh returned a new string = %v, want %v", got.AccessToken != tok, rotates)
			}
			if _, err := c.Me(t.Context(), got.AccessToken); err != nil {
				t.Errorf("Me with the refreshed token: %v", err)
			}
		})
	}
}

func TestClient_Expired_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{})
	short := emu.IssueToken("dave", false)
	long := emu.IssueToken("dave", true)

	emu.Advance(2 * time.Hour)
	_, err := c.ExchangeLongLived(t.Context(), short)
	checkExpired(t, err, short)

	emu.Advance(61 * 24 * time.Hour)
	_, err = c.RefreshLongLived(t.Context(), long)
	checkExpired(t, err, long)
	_, err = c.Me(t.Context(), long)
	checkExpired(t, err, long)
}

func checkExpired(t *testing.T, err error, token string) {
	t.Helper()
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Code != 190 || ge.Subcode != 463 || ge.StatusCode != 400 {
		t.Fatalf("error = %v, want code 190 subcode 463", err)
	}
	if !strings.Contains(err.Error(), "(code 190, subcode 463) Error validating access token: Session has expired") {
		t.Errorf("Error() = %q", err)
	}
	noSecret(t, err, token)
	checkClass(t, err, false, true, "the token expired")
}

func TestClient_Revoked_Emulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		subcode int
		reason  string
	}{
		{460, "the user changed their password (or Meta reset the session)"},
		{458, "the user removed the app"},
	}
	for _, tt := range tests {
		emu, c := mustOpenEmulator(t, emulator.Config{})
		tok := emu.IssueToken("erin", true)
		emu.Revoke("erin", tt.subcode)
		for _, call := range []func() error{
			func() error { _, err := c.Me(t.Context(), tok); return err },
			func() error { emu.Advance(25 * time.Hour); _, err := c.RefreshLongLived(t.Context(), tok); return err },
		} {
			err := call()
			var ge *graph.Error
			if !errors.As(err, &ge) || ge.Code != 190 || ge.Subcode != tt.subcode {
				t.Fatalf("revoked %d: error = %v, want code 190 subcode %d", tt.subcode, err, tt.subcode)
			}
			noSecret(t, err, tok)
			checkClass(t, err, false, true, tt.reason)
		}
	}
}

func TestClient_Faults_Emulator(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name  string
		fault emulator.Fault
		check func(*testing.T, error)
	}{
		{"Status503", emulator.Fault{Status: 503}, isType[*graph.Error]},
		{"Code2", emulator.Fault{Status: 500, Type: "OAuthException", Code: 2, IsTransient: true,
			Message: "An unexpected error has occurred. Please retry your request later."}, isType[*graph.Error]},
		{"Throttled4", emulator.Fault{Status: 403, Type: "OAuthException", Code: 4,
			Message: "(#4) Application request limit reached"}, isType[*graph.Error]},
		{"Malformed", emulator.Fault{Malformed: true}, func(t *testing.T, err error) {
			if !errors.Is(err, graph.ErrMalformedResponse) {
				t.Errorf("error = %v, want ErrMalformedResponse", err)
			}
		}},
		{"Hang", emulator.Fault{Hang: true}, func(t *testing.T, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want context.DeadlineExceeded", err)
			}
		}},
		{"Drop", emulator.Fault{Drop: true}, isType[*graph.TransportError]},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			emu, c := mustOpenEmulator(t, emulator.Config{})
			// net/http silently replays a GET whose reused keep-alive connection
			// is dropped; fresh connections make Drop reach the client.
			c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			for _, call := range faultCalls(t, emu, c) {
				emu.FailNext(call.endpoint, 1, f.fault)
				ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
				err := call.do(ctx)
				cancel()
				if err == nil {
					t.Fatalf("%s: no error with fault %+v", call.endpoint, f.fault)
				}
				f.check(t, err)
				if !graph.IsTransient(err) || graph.NeedsReconnect(err) {
					t.Errorf("%s: IsTransient(%v) = %v, NeedsReconnect = %v; want true, false",
						call.endpoint, err, graph.IsTransient(err), graph.NeedsReconnect(err))
				}
				noSecret(t, err, call.secrets...)
				if err := call.do(t.Context()); err != nil { // the fault was used up: a retry works
					t.Errorf("%s: retry after the fault: %v", call.endpoint, err)
				}
			}
		})
	}
}

type faultCall struct {
	endpoint string
	secrets  []string
	do       func(context.Context) error
}

// faultCalls returns one call per emulator endpoint the client uses; each can
// run twice (once failing, once succeeding).
func faultCalls(t *testing.T, emu *emulator.Server, c *graph.Client) []faultCall {
	t.Helper()
	long := emu.IssueToken("frank", true)
	emu.Advance(25 * time.Hour) // old enough to refresh
	short := emu.IssueToken("frank", false)
	code := emu.IssueCode("frank", testRedirectURI) // a fault does not use it up
	return []faultCall{
		{emulator.EndpointAccessToken, []string{code, testAppSecret}, func(ctx context.Context) error {
			_, err := c.ExchangeCode(ctx, code)
			return err
		}},
		{emulator.EndpointIGExchangeToken, []string{short, testAppSecret}, func(ctx context.Context) error {
			_, err := c.ExchangeLongLived(ctx, short)
			return err
		}},
		{emulator.EndpointIGRefreshToken, []string{long}, func(ctx context.Context) error {
			_, err := c.RefreshLongLived(ctx, long)
			return err
		}},
		{emulator.EndpointMe, []string{long}, func(ctx context.Context) error {
			_, err := c.Me(ctx, long)
			return err
		}},
	}
}

func isType[T error](t *testing.T, err error) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Errorf("error = %#v, want %T", err, target)
	}
}

// TestClient_ErrorsNeverContainToken_Emulator drives every call into every
// kind of failure and checks that no error text carries a token, the app
// secret or the code.
func TestClient_ErrorsNeverContainToken_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{})
	c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	short := emu.IssueToken("gina", false)
	long := emu.IssueToken("gina", true)
	code := emu.IssueCode("gina", testRedirectURI)
	secrets := []string{short, long, code, testAppSecret}
	unknown := "IGAA" + strings.Repeat("x", 150)

	var errs []error
	collect := func(_ any, err error) { errs = append(errs, err) }
	calls := func() { // each with its own deadline, so that every call reaches its fault
		ctx := func() context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}
		collect(c.ExchangeCode(ctx(), code))
		collect(c.ExchangeLongLived(ctx(), short))
		collect(c.RefreshLongLived(ctx(), long))
		collect(c.Me(ctx(), long))
	}
	faults := []emulator.Fault{{Status: 503}, {Code: 4}, {Code: 190, Subcode: 467}, {Malformed: true}, {Hang: true}, {Drop: true}}
	for _, f := range faults {
		for _, ep := range []string{emulator.EndpointAccessToken, emulator.EndpointIGExchangeToken, emulator.EndpointIGRefreshToken, emulator.EndpointMe} {
			emu.FailNext(ep, 1, f)
		}
		calls()
	}
	for _, ep := range []string{emulator.EndpointAccessToken, emulator.EndpointIGExchangeToken, emulator.EndpointIGRefreshToken, emulator.EndpointMe} {
		if n := emu.PendingFaults(ep); n != 0 {
			t.Fatalf("%s: %d faults did not fire", ep, n)
		}
	}
	calls() // too new to refresh
	collect(c.ExchangeLongLived(t.Context(), unknown))
	collect(c.Me(t.Context(), unknown))
	emu.Revoke("gina", 460)
	calls()
	emu.Advance(90 * 24 * time.Hour)
	calls()

	n := 0
	for _, err := range errs {
		if err != nil {
			n++
			noSecret(t, err, append(secrets, unknown)...)
		}
	}
	if n < 4*len(faults)+8 {
		t.Errorf("only %d of %d calls failed; the scenario did not run as planned", n, len(errs))
	}
}
