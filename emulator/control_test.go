package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

func TestServer_ControlState(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e := mustStart(t, emulator.Config{Start: start, Latency: time.Millisecond})
	short := mustLogin(t, e, "alice")
	long := e.emu.IssueToken("alice", true)
	e.emu.IssueToken("bob", false)
	e.emu.Advance(2 * time.Hour) // bob's and alice's short-lived tokens expire
	e.emu.Revoke("carol", 458)   // unknown: no effect
	e.emu.FailNext(emulator.EndpointMe, 2, emulator.Fault{})

	resp := e.get(t, "/_emulator/state", nil)
	for _, token := range []string{short, long} {
		if strings.Contains(string(resp.body), token) {
			t.Fatal("state contains a token value")
		}
	}
	var got struct {
		Now           time.Time      `json:"now"`
		Advanced      string         `json:"advanced"`
		Calls         map[string]int `json:"calls"`
		PendingFaults map[string]int `json:"pending_faults"`
		Users         []struct {
			Username string         `json:"username"`
			Tokens   map[string]int `json:"tokens"`
		} `json:"users"`
	}
	mustDecode(t, resp, http.StatusOK, &got)
	if d := got.Now.Sub(start); d < 2*time.Hour || d > 2*time.Hour+time.Minute {
		t.Errorf("now = %v, want about start + 2h", got.Now)
	}
	if got.Advanced != "2h0m0s" {
		t.Errorf("advanced = %q, want 2h0m0s", got.Advanced)
	}
	wantCalls := map[string]int{"authorize": 1, "access_token": 1, "ig_exchange_token": 0, "ig_refresh_token": 0, "me": 0,
		"messages": 0, "media": 0, "rupload": 0, "container": 0, "media_publish": 0, "content_publishing_limit": 0}
	if diff := cmp.Diff(wantCalls, got.Calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	if got.PendingFaults["me"] != 2 {
		t.Errorf("pending_faults[me] = %d, want 2", got.PendingFaults["me"])
	}
	tokens := map[string]map[string]int{}
	for _, u := range got.Users {
		tokens[u.Username] = u.Tokens
	}
	wantTokens := map[string]map[string]int{
		"alice": {"short_lived": 0, "long_lived": 1, "expired": 1, "revoked": 0},
		"bob":   {"short_lived": 0, "long_lived": 0, "expired": 1, "revoked": 0},
	}
	if diff := cmp.Diff(wantTokens, tokens); diff != "" {
		t.Errorf("tokens mismatch (-want +got):\n%s", diff)
	}
}

func TestServer_ControlClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		advance string
		want    time.Duration
		status  int
	}{
		{"Hours", "24h", 24 * time.Hour, http.StatusOK},
		{"Days", "60d", 60 * 24 * time.Hour, http.StatusOK},
		{"Garbage", "soon", 0, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			before := e.emu.Now()
			resp := e.postJSON(t, "/_emulator/clock", map[string]string{"advance": tt.advance})
			if resp.status != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.status, tt.status, resp.body)
			}
			if d := e.emu.Now().Sub(before); d < tt.want || d > tt.want+time.Minute {
				t.Errorf("clock moved %v, want %v", d, tt.want)
			}
		})
	}
}

func TestServer_ControlRevoke(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	resp := e.postJSON(t, "/_emulator/users/alice/revoke", map[string]int{"subcode": 460})
	if resp.status != http.StatusOK {
		t.Fatalf("revoke: status %d, body %s", resp.status, resp.body)
	}
	got, _ := mustGraphError(t, e.get(t, "/me", url.Values{"access_token": {token}}))
	if got.Code != 190 || got.Subcode != 460 {
		t.Errorf("/me after revoke = %+v, want 190/460", got)
	}
	if resp := e.postJSON(t, "/_emulator/users/nobody/revoke", map[string]int{"subcode": 460}); resp.status != http.StatusNotFound {
		t.Errorf("revoke unknown user: status %d, want 404", resp.status)
	}
}

func TestServer_ControlFail(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	body := `{"endpoint":"me","count":2,"fault":{"code":4,"is_transient":true}}`
	req := newRequest(t, http.MethodPost, e.url+"/_emulator/fail", strings.NewReader(body))
	if resp := e.do(t, req); resp.status != http.StatusOK {
		t.Fatalf("fail: status %d, body %s", resp.status, resp.body)
	}
	for i := range 2 {
		got, _ := mustGraphError(t, e.get(t, "/me", url.Values{"access_token": {token}}))
		if want := (graphErr{Status: 403, Type: "OAuthException", Code: 4, IsTransient: true}); got != want {
			t.Errorf("call %d = %+v, want %+v", i, got, want)
		}
	}
	mustDecode(t, e.get(t, "/me", url.Values{"access_token": {token}}), http.StatusOK, &map[string]string{})

	tests := []struct {
		name string
		body any
	}{
		{"UnknownEndpoint", map[string]any{"endpoint": "refresh"}},
		{"UnknownFaultField", map[string]any{"endpoint": "me", "fault": map[string]any{"hangs": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.postJSON(t, "/_emulator/fail", tt.body)
			var msg map[string]string
			mustDecode(t, resp, http.StatusBadRequest, &msg)
			if msg["error"] == "" {
				t.Errorf("no error message in %s", resp.body)
			}
		})
	}
}

func TestServer_ControlAddUser(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	var got map[string]string
	mustDecode(t, e.postJSON(t, "/_emulator/users", map[string]string{"username": "dora"}), http.StatusOK, &got)
	dora, ok := e.emu.User("dora")
	want := map[string]string{"username": "dora", "instagram_id": dora.InstagramID, "app_scoped_id": dora.AppScopedID}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("user mismatch (-want +got):\n%s", diff)
	}
	resp := e.get(t, "/_emulator/nope", nil)
	if resp.status != http.StatusNotFound || !json.Valid(resp.body) {
		t.Errorf("unknown control path: %d %s, want 404 JSON", resp.status, resp.body)
	}
}

func TestServer_Clock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	emu := emulator.New(emulator.Config{Start: start})
	emu.Advance(36 * time.Hour)
	if d := emu.Now().Sub(start); d < 36*time.Hour || d > 36*time.Hour+time.Minute {
		t.Errorf("Now() - Start = %v, want 36h plus real elapsed time", d)
	}
	if d := time.Since(emulator.New(emulator.Config{}).Now()); d < 0 || d > time.Minute {
		t.Errorf("zero Start: Now() is %v away from time.Now()", d)
	}
}
