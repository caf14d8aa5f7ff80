package emulator_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

func exchangeQuery(token string) url.Values {
	return url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {appSecret}, "access_token": {token}}
}

func refreshQuery(token string) url.Values {
	return url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {token}}
}

func TestServer_IGExchangeToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		advance time.Duration
		query   func(short string) url.Values
		want    graphErr // zero = success
		wantMsg string
	}{
		{name: "OK", query: exchangeQuery},
		{name: "VersionPrefix", query: exchangeQuery},
		{
			name: "Expired", advance: time.Hour, query: exchangeQuery,
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 463},
			wantMsg: "Error validating access token: Session has expired on ",
		},
		{
			name:  "WrongSecret",
			query: func(s string) url.Values { q := exchangeQuery(s); q.Set("client_secret", "nope"); return q },
			want:  graphErr{Status: 400, Type: "OAuthException", Code: 1}, wantMsg: "Error validating client secret.",
		},
		{
			name:  "MissingToken",
			query: func(s string) url.Values { q := exchangeQuery(s); q.Del("access_token"); return q },
			want:  graphErr{Status: 400, Type: "OAuthException", Code: 100}, wantMsg: "(#100) Missing required parameter: access_token",
		},
		{
			name:  "UnknownToken",
			query: func(s string) url.Values { return exchangeQuery("IGAAnope") },
			want:  graphErr{Status: 400, Type: "OAuthException", Code: 190}, wantMsg: "Invalid OAuth access token - Cannot parse access token",
		},
		{
			name:  "WrongGrantType",
			query: func(s string) url.Values { q := exchangeQuery(s); q.Set("grant_type", "ig_refresh_token"); return q },
			want:  graphErr{Status: 400, Type: "OAuthException", Code: 100}, wantMsg: "(#100) Invalid parameter: grant_type",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			short := mustLogin(t, e, "alice")
			e.emu.Advance(tt.advance)
			path := "/access_token"
			if tt.name == "VersionPrefix" {
				path = "/v25.0/access_token"
			}
			resp := e.get(t, path, tt.query(short))
			if strings.Contains(string(resp.body), short) {
				t.Errorf("response echoes the input token")
			}
			if tt.want != (graphErr{}) {
				got, msg := mustGraphError(t, resp)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("error mismatch (-want +got):\n%s", diff)
				}
				if !strings.HasPrefix(msg, tt.wantMsg) {
					t.Errorf("message = %q, want prefix %q", msg, tt.wantMsg)
				}
				return
			}
			var got longLivedResp
			mustDecode(t, resp, http.StatusOK, &got)
			if got.AccessToken == short || !strings.HasPrefix(got.AccessToken, "IGAA") || !e.emu.TokenValid(got.AccessToken) {
				t.Errorf("long-lived token is not a new valid IGAA token")
			}
			if got.TokenType != "bearer" || got.ExpiresIn != 5183944 {
				t.Errorf("token_type, expires_in = %q, %d; want bearer, 5183944", got.TokenType, got.ExpiresIn)
			}
		})
	}
}

func TestServer_IGExchangeTokenLongLivedPassthrough(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	long := e.emu.IssueToken("alice", true)
	e.emu.Advance(time.Hour)
	var got longLivedResp
	mustDecode(t, e.get(t, "/access_token", exchangeQuery(long)), http.StatusOK, &got)
	if got.AccessToken != long {
		t.Error("long-lived input did not come back unchanged")
	}
	// A little real time passes too, so allow a few seconds less.
	if want := int64(5183944 - 3600); got.ExpiresIn > want || got.ExpiresIn < want-5 {
		t.Errorf("expires_in = %d, want about %d (remaining, not extended)", got.ExpiresIn, want)
	}
}

func TestServer_Refresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		long    bool
		advance time.Duration
		revoke  int
		method  string
		want    graphErr // zero = success
		wantMsg string
	}{
		{name: "AfterOneDay", long: true, advance: 24 * time.Hour},
		{name: "AfterFiftyNineDays", long: true, advance: 59 * 24 * time.Hour},
		{
			name: "TooYoung", long: true, advance: 23 * time.Hour,
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 100},
			wantMsg: "(#100) The access token is too new to be refreshed",
		},
		{
			name: "Expired", long: true, advance: 61 * 24 * time.Hour,
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 463},
			wantMsg: "Error validating access token: Session has expired on ",
		},
		{
			name: "ShortLived", advance: 30 * time.Minute,
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 100},
			wantMsg: "(#100) ig_refresh_token requires a long-lived access token",
		},
		{
			name: "Revoked", long: true, advance: 48 * time.Hour, revoke: 460,
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 460},
			wantMsg: "Error validating access token: The session has been invalidated",
		},
		{
			name: "Post", long: true, advance: 48 * time.Hour, method: http.MethodPost,
			want:    graphErr{Status: 400, Type: "GraphMethodException", Code: 100},
			wantMsg: "Unsupported request - method type: post",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			token := e.emu.IssueToken("alice", tt.long)
			e.emu.Advance(tt.advance)
			if tt.revoke != 0 {
				e.emu.Revoke("alice", tt.revoke)
			}
			var resp response
			if tt.method == http.MethodPost {
				resp = e.postForm(t, "/refresh_access_token", refreshQuery(token))
			} else {
				resp = e.get(t, "/v23.0/refresh_access_token", refreshQuery(token))
			}
			if strings.Contains(string(resp.body), "IGAA") && tt.want != (graphErr{}) {
				t.Errorf("error body contains a token: %s", resp.body)
			}
			if tt.want != (graphErr{}) {
				got, msg := mustGraphError(t, resp)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("error mismatch (-want +got):\n%s", diff)
				}
				if !strings.HasPrefix(msg, tt.wantMsg) {
					t.Errorf("message = %q, want prefix %q", msg, tt.wantMsg)
				}
				return
			}
			var got longLivedResp
			mustDecode(t, resp, http.StatusOK, &got)
			if got.AccessToken != token || got.TokenType != "bearer" || got.ExpiresIn != 5184000 {
				t.Errorf("refresh = same token %v, %q, %d; want same token, bearer, 5184000",
					got.AccessToken == token, got.TokenType, got.ExpiresIn)
			}
			// The new expiry is 60 days from the refresh, past the old one.
			e.emu.Advance(60*24*time.Hour - time.Minute)
			if !e.emu.TokenValid(token) {
				t.Error("token expired before 60 days after the refresh")
			}
			e.emu.Advance(2 * time.Minute)
			if e.emu.TokenValid(token) {
				t.Error("token still valid 60 days after the refresh")
			}
		})
	}
}

func TestServer_RefreshAgeRestartsAtRefresh(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	e.emu.Advance(25 * time.Hour)
	mustDecode(t, e.get(t, "/refresh_access_token", refreshQuery(token)), http.StatusOK, &longLivedResp{})
	e.emu.Advance(time.Hour)
	got, _ := mustGraphError(t, e.get(t, "/refresh_access_token", refreshQuery(token)))
	if got.Code != 100 {
		t.Errorf("second refresh 1 h later: code %d, want 100 (too young)", got.Code)
	}
}

func TestServer_RefreshRotation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		rotates      bool
		oldValid     *bool
		wantNew      bool
		wantOldValid bool
	}{
		{name: "Extend", wantOldValid: true},
		{name: "RotateKeepOld", rotates: true, wantNew: true, wantOldValid: true},
		{name: "RotateKeepOldExplicit", rotates: true, oldValid: new(true), wantNew: true, wantOldValid: true},
		{name: "RotateDropOld", rotates: true, oldValid: new(false), wantNew: true},
		{name: "NoRotateIgnoresOldFlag", oldValid: new(false), wantOldValid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{RefreshRotates: tt.rotates, OldTokenValidAfterRotate: tt.oldValid})
			old := e.emu.IssueToken("alice", true)
			e.emu.Advance(24 * time.Hour)
			var got longLivedResp
			mustDecode(t, e.get(t, "/refresh_access_token", refreshQuery(old)), http.StatusOK, &got)
			if isNew := got.AccessToken != old; isNew != tt.wantNew {
				t.Errorf("new string = %v, want %v", isNew, tt.wantNew)
			}
			if !e.emu.TokenValid(got.AccessToken) {
				t.Error("returned token is not valid")
			}
			if v := e.emu.TokenValid(old); v != tt.wantOldValid {
				t.Errorf("old token valid = %v, want %v", v, tt.wantOldValid)
			}
		})
	}
}
