package emulator_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

func TestServer_Me(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	alice, _ := e.emu.User("alice")
	bob := e.emu.AddUser("bob")
	all := map[string]string{
		"id": alice.AppScopedID, "user_id": alice.InstagramID, "username": "alice",
		"name": "Emulated alice", "account_type": "BUSINESS",
	}
	tests := []struct {
		name   string
		path   string
		query  url.Values
		header []string
		want   map[string]string
	}{
		{
			name:  "NoFields",
			path:  "/me",
			query: url.Values{"access_token": {token}},
			want:  map[string]string{"id": alice.AppScopedID, "username": "alice"},
		},
		{
			name:  "AllFields",
			path:  "/v23.0/me",
			query: url.Values{"access_token": {token}, "fields": {"user_id,username,name,account_type"}},
			want:  all,
		},
		{
			name:  "SomeFieldsAndUnemulated",
			path:  "/me",
			query: url.Values{"access_token": {token}, "fields": {"user_id,profile_picture_url"}},
			want:  map[string]string{"id": alice.AppScopedID, "user_id": alice.InstagramID},
		},
		{
			name:   "Bearer",
			path:   "/v25.0/me",
			query:  url.Values{"fields": {"user_id"}},
			header: []string{"Authorization", "Bearer " + token},
			want:   map[string]string{"id": alice.AppScopedID, "user_id": alice.InstagramID},
		},
		{
			name:   "OAuthHeader",
			path:   "/me",
			query:  url.Values{"fields": {"username"}},
			header: []string{"Authorization", "OAuth " + token},
			want:   map[string]string{"id": alice.AppScopedID, "username": "alice"},
		},
		{
			name:  "ByInstagramID",
			path:  "/v23.0/" + alice.InstagramID,
			query: url.Values{"access_token": {token}, "fields": {"id,user_id,username,name,account_type"}},
			want:  all,
		},
		{
			name:  "ByAppScopedID",
			path:  "/" + alice.AppScopedID,
			query: url.Values{"access_token": {token}, "fields": {"username"}},
			want:  map[string]string{"id": alice.AppScopedID, "username": "alice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]string
			mustDecode(t, e.get(t, tt.path, tt.query, tt.header...), http.StatusOK, &got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("/me mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("OtherUsersID", func(t *testing.T) {
		got, _ := mustGraphError(t, e.get(t, "/"+bob.InstagramID, url.Values{"access_token": {token}}))
		want := graphErr{Status: 400, Type: "GraphMethodException", Code: 100, Subcode: 33}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("error mismatch (-want +got):\n%s", diff)
		}
	})
	if got := e.emu.Calls(emulator.EndpointMe); got != len(tests)+1 {
		t.Errorf("Calls(me) = %d, want %d", got, len(tests)+1)
	}
}

func TestServer_MeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(e *env) url.Values
		want    graphErr
		wantMsg string
	}{
		{
			name:  "NoToken",
			setup: func(e *env) url.Values { return url.Values{} },
			want:  graphErr{Status: 400, Type: "OAuthException", Code: 2500},
		},
		{
			name:    "UnknownToken",
			setup:   func(e *env) url.Values { return url.Values{"access_token": {"IGAAbogus"}} },
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 190},
			wantMsg: "Invalid OAuth access token - Cannot parse access token",
		},
		{
			name: "ExpiredShortLived",
			setup: func(e *env) url.Values {
				token := e.emu.IssueToken("alice", false)
				e.emu.Advance(time.Hour)
				return url.Values{"access_token": {token}}
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 463},
		},
		{
			name: "Revoked458",
			setup: func(e *env) url.Values {
				token := e.emu.IssueToken("alice", true)
				e.emu.Revoke("alice", 458)
				return url.Values{"access_token": {token}}
			},
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 458},
			wantMsg: "Error validating access token: The user has not authorized application.",
		},
		{
			name: "Revoked460",
			setup: func(e *env) url.Values {
				token := e.emu.IssueToken("alice", true)
				e.emu.Revoke("alice", 460)
				return url.Values{"access_token": {token}}
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 460},
			wantMsg: "Error validating access token: The session has been invalidated because the user changed " +
				"their password or Facebook has changed the session for security reasons.",
		},
		{
			name: "NonexistingField",
			setup: func(e *env) url.Values {
				return url.Values{"access_token": {e.emu.IssueToken("alice", true)}, "fields": {"usrname"}}
			},
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 100},
			wantMsg: "(#100) Tried accessing nonexisting field (usrname) on node type (User)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			got, msg := mustGraphError(t, e.get(t, "/me", tt.setup(e)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if tt.wantMsg != "" && msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestServer_RevokeSparesLaterTokens(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	before := mustLogin(t, e, "alice")
	e.emu.Revoke("alice", 460)
	after := mustLogin(t, e, "alice")
	if e.emu.TokenValid(before) || !e.emu.TokenValid(after) {
		t.Errorf("valid before, after revoke = %v, %v; want false, true", e.emu.TokenValid(before), e.emu.TokenValid(after))
	}
	var got longLivedResp
	mustDecode(t, e.get(t, "/access_token", exchangeQuery(after)), http.StatusOK, &got)
}

func TestServer_UnknownPath(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	got, _ := mustGraphError(t, e.get(t, "/v23.0/me/media", nil))
	if got.Code != 100 || got.Status != 400 {
		t.Errorf("unknown path = %+v, want 400 code 100", got)
	}
}
