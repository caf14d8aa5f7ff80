package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

// appUsage is X-App-Usage (§4).
type appUsage struct {
	CallCount    int `json:"call_count"`
	TotalTime    int `json:"total_time"`
	TotalCPUTime int `json:"total_cputime"`
}

// bucUsage is one entry of X-Business-Use-Case-Usage (§4).
type bucUsage struct {
	Type         string `json:"type"`
	CallCount    int    `json:"call_count"`
	TotalCPUTime int    `json:"total_cputime"`
	TotalTime    int    `json:"total_time"`
	RegainAccess int    `json:"estimated_time_to_regain_access"`
}

func mustAppUsage(tb testing.TB, resp response) appUsage {
	tb.Helper()
	var u appUsage
	h := resp.header.Get("X-App-Usage")
	if err := json.Unmarshal([]byte(h), &u); err != nil {
		tb.Fatalf("X-App-Usage %q: %v", h, err)
	}
	return u
}

// mustBUCUsage returns the one entry for igID.
func mustBUCUsage(tb testing.TB, resp response, igID string) bucUsage {
	tb.Helper()
	var u map[string][]bucUsage
	h := resp.header.Get("X-Business-Use-Case-Usage")
	if err := json.Unmarshal([]byte(h), &u); err != nil {
		tb.Fatalf("X-Business-Use-Case-Usage %q: %v", h, err)
	}
	if len(u) != 1 || len(u[igID]) != 1 {
		tb.Fatalf("X-Business-Use-Case-Usage %q: want one entry for %s", h, igID)
	}
	return u[igID][0]
}

func TestServer_UsageHeaders(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{AppCallBudget: 10, AccountCallBudget: 20, ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	alice, _ := e.emu.User("alice")
	e.emu.OpenWindow("alice", "IGSID1")

	calls := []struct {
		name string
		do   func() response
	}{
		{"me", func() response { return e.get(t, "/me", url.Values{"access_token": {token}}) }},
		{"messages", func() response { return e.sendMessage(t, token, "IGSID1", "hi") }},
		{"media", func() response { return e.postGraph(t, "/me/media", token, reelsURL()) }},
		{"content_publishing_limit", func() response { return e.getGraph(t, "/me/content_publishing_limit", token, nil) }},
	}
	for i, c := range calls {
		resp := c.do()
		if resp.status != http.StatusOK {
			t.Fatalf("%s: status %d %s", c.name, resp.status, resp.body)
		}
		n := i + 1
		if got, want := mustAppUsage(t, resp), (appUsage{n * 10, n * 10, n * 10}); got != want {
			t.Errorf("%s: X-App-Usage = %+v, want %+v", c.name, got, want)
		}
		want := bucUsage{Type: "instagram", CallCount: n * 5, TotalCPUTime: n * 5, TotalTime: n * 5}
		if diff := cmp.Diff(want, mustBUCUsage(t, resp, alice.InstagramID)); diff != "" {
			t.Errorf("%s: X-Business-Use-Case-Usage (-want +got):\n%s", c.name, diff)
		}
	}

	// Token endpoints and errors carry X-App-Usage; an unknown caller has
	// no business use case header.
	resp := e.get(t, "/me", url.Values{"access_token": {"IGAAnope"}})
	if got := mustAppUsage(t, resp); got.CallCount != 50 {
		t.Errorf("X-App-Usage on a 190 = %+v, want call_count 50", got)
	}
	if h := resp.header.Get("X-Business-Use-Case-Usage"); h != "" {
		t.Errorf("X-Business-Use-Case-Usage on a 190 = %s, want none", h)
	}
	if got := mustAppUsage(t, e.get(t, "/refresh_access_token", refreshQuery(token))); got.CallCount != 60 {
		t.Errorf("X-App-Usage on refresh = %+v, want call_count 60", got)
	}
	// The login hosts are not graph.instagram.com.
	if h := e.get(t, "/oauth/authorize", authorizeQuery()).header.Get("X-App-Usage"); h != "" {
		t.Errorf("authorize has X-App-Usage %s", h)
	}

	// The app's window is an hour.
	e.emu.Advance(time.Hour + time.Minute)
	if got := mustAppUsage(t, e.get(t, "/me", url.Values{"access_token": {token}})); got.CallCount != 10 {
		t.Errorf("X-App-Usage an hour later = %+v, want call_count 10", got)
	}
}

func TestServer_UsageHeadersWithoutBudget(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	alice, _ := e.emu.User("alice")
	for range 20 {
		resp := e.get(t, "/me", url.Values{"access_token": {token}})
		if got := mustAppUsage(t, resp); got != (appUsage{}) {
			t.Fatalf("X-App-Usage = %+v, want zeros", got)
		}
		if got := mustBUCUsage(t, resp, alice.InstagramID); got != (bucUsage{Type: "instagram"}) {
			t.Fatalf("X-Business-Use-Case-Usage = %+v, want zeros", got)
		}
	}
}

func TestServer_ThrottleApp(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{AppCallBudget: 3})
	alice := e.emu.IssueToken("alice", true)
	bob := e.emu.IssueToken("bob", true)
	for i, token := range []string{alice, bob, alice} {
		if resp := e.get(t, "/me", url.Values{"access_token": {token}}); resp.status != http.StatusOK {
			t.Fatalf("call %d within budget: status %d", i+1, resp.status)
		}
	}
	// The app's budget is spent whoever calls, on every Graph endpoint.
	for _, resp := range []response{
		e.get(t, "/me", url.Values{"access_token": {bob}}),
		e.postGraph(t, "/me/media", alice, reelsURL()),
		e.get(t, "/refresh_access_token", refreshQuery(alice)),
	} {
		got, msg := mustGraphError(t, resp)
		want := graphErr{Status: 403, Type: "OAuthException", Code: 4, IsTransient: true}
		if got != want || msg != "(#4) Application request limit reached" {
			t.Errorf("over budget = %+v %q, want %+v", got, msg, want)
		}
		if u := mustAppUsage(t, resp); u.CallCount < 100 {
			t.Errorf("X-App-Usage = %+v, want ≥ 100", u)
		}
	}
	e.emu.Advance(time.Hour + time.Minute)
	if resp := e.get(t, "/me", url.Values{"access_token": {alice}}); resp.status != http.StatusOK {
		t.Errorf("an hour later: status %d, want 200", resp.status)
	}
}

func TestServer_ThrottleAccount(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{AccountCallBudget: 2})
	token := e.emu.IssueToken("alice", true)
	alice, _ := e.emu.User("alice")
	for i := range 2 {
		resp := e.get(t, "/me", url.Values{"access_token": {token}})
		if resp.status != http.StatusOK {
			t.Fatalf("call %d within budget: status %d", i+1, resp.status)
		}
		if i == 1 {
			// 100 %: the next call is refused, for about 24 h.
			if u := mustBUCUsage(t, resp, alice.InstagramID); u.CallCount != 100 || u.RegainAccess < 1439 || u.RegainAccess > 1441 {
				t.Errorf("at the budget: %+v, want call_count 100, about 1440 minutes to regain", u)
			}
		}
	}
	resp := e.getGraph(t, "/me/content_publishing_limit", token, nil)
	got, msg := mustGraphError(t, resp)
	want := graphErr{Status: 400, Type: "OAuthException", Code: 80002}
	if got != want || msg != "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again." {
		t.Errorf("over budget = %+v %q, want %+v", got, msg, want)
	}
	if u := mustBUCUsage(t, resp, alice.InstagramID); u.CallCount != 150 || u.RegainAccess < 1 {
		t.Errorf("throttled: %+v, want call_count 150 and time to regain access", u)
	}
	// Other accounts are not affected.
	if resp := e.get(t, "/me", url.Values{"access_token": {e.emu.IssueToken("bob", true)}}); resp.status != http.StatusOK {
		t.Errorf("bob: status %d, want 200", resp.status)
	}
	e.emu.Advance(24*time.Hour + time.Minute)
	if resp := e.get(t, "/me", url.Values{"access_token": {token}}); resp.status != http.StatusOK {
		t.Errorf("24 h later: status %d, want 200", resp.status)
	}
}

func TestServer_SetUsage(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	alice, _ := e.emu.User("alice")
	me := func() response { return e.get(t, "/me", url.Values{"access_token": {token}}) }

	e.emu.SetUsage(80, 95)
	resp := me()
	if resp.status != http.StatusOK || mustAppUsage(t, resp).CallCount != 80 || mustBUCUsage(t, resp, alice.InstagramID).CallCount != 95 {
		t.Errorf("SetUsage(80, 95): status %d, headers %s / %s", resp.status,
			resp.header.Get("X-App-Usage"), resp.header.Get("X-Business-Use-Case-Usage"))
	}

	e.emu.SetUsage(100, -1)
	if got, _ := mustGraphError(t, me()); got.Status != 403 || got.Code != 4 {
		t.Errorf("SetUsage(100, -1) = %+v, want 403 code 4", got)
	}

	e.emu.SetUsage(-1, 120)
	resp = me()
	if got, _ := mustGraphError(t, resp); got.Status != 400 || got.Code != 80002 {
		t.Errorf("SetUsage(-1, 120) = %+v, want 400 code 80002", got)
	}
	if u := mustBUCUsage(t, resp, alice.InstagramID); u.CallCount != 120 || u.RegainAccess != 60 {
		t.Errorf("forced BUC = %+v, want 120 %% and 60 minutes to regain", u)
	}
	e.emu.Advance(30 * time.Minute)
	if u := mustBUCUsage(t, me(), alice.InstagramID); u.RegainAccess != 30 {
		t.Errorf("30 minutes on: regain = %d, want 30", u.RegainAccess)
	}
	e.emu.Advance(30 * time.Minute) // forced figures lapse after an hour
	if resp := me(); resp.status != http.StatusOK || mustAppUsage(t, resp).CallCount != 0 {
		t.Errorf("after the hour: status %d, X-App-Usage %s", resp.status, resp.header.Get("X-App-Usage"))
	}

	// Over HTTP; a missing figure stays computed.
	if resp := e.postJSON(t, "/_emulator/usage", map[string]int{"app": 100}); resp.status != http.StatusOK {
		t.Fatalf("POST /_emulator/usage: %d %s", resp.status, resp.body)
	}
	if got, _ := mustGraphError(t, me()); got.Code != 4 {
		t.Errorf("after POST /_emulator/usage: code %d, want 4", got.Code)
	}
	var st struct {
		AppUsage int `json:"app_usage"`
	}
	mustDecode(t, e.get(t, "/_emulator/state", nil), http.StatusOK, &st)
	if st.AppUsage != 100 {
		t.Errorf("state app_usage = %d, want 100", st.AppUsage)
	}
	e.emu.SetUsage(-1, -1)
	if resp := me(); resp.status != http.StatusOK {
		t.Errorf("SetUsage(-1, -1): status %d, want 200", resp.status)
	}
}
