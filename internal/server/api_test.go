package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
)

func TestAPI_Auth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.login(t, "alice")
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/accounts"},
		{"GET", "/api/v1/accounts/alice"},
		{"POST", "/api/v1/accounts/alice/refresh"},
		{"GET", "/api/v1/accounts/alice/token"},
		{"GET", "/api/v1/accounts/alice/history"},
		{"DELETE", "/api/v1/accounts/alice"},
		{"GET", "/api/v1/nothing-here"},
	}
	for _, rt := range routes {
		for _, auth := range []string{"", "Bearer", "Bearer wrong-token", "Basic " + adminToken, "Bearer " + adminToken + "x", adminToken} {
			r := e.apiAs(t, rt.method, rt.path, auth)
			if r.status != http.StatusUnauthorized || r.errorCode(t) != "unauthorized" ||
				!strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with %q = %d %q (WWW-Authenticate %q), want 401 unauthorized with a Bearer challenge",
					rt.method, rt.path, auth, r.status, r.body, r.header.Get("WWW-Authenticate"))
			}
			if strings.Contains(r.body, a.Token.Value) {
				t.Errorf("%s %s without auth leaked the token", rt.method, rt.path)
			}
		}
	}
	if n := len(e.accounts(t)); n != 1 {
		t.Errorf("%d accounts after unauthorized calls, want 1", n)
	}
	if r := e.apiAs(t, "GET", "/api/v1/accounts", "bearer "+adminToken); r.status != http.StatusOK {
		t.Errorf("lower-case scheme: %d, want 200", r.status)
	}
}

func TestAPI_Accounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.login(t, "alice")
	e.login(t, "bob")

	var rows []igtoken.AccountStatus
	r := e.api(t, "GET", "/api/v1/accounts")
	wantStatus(t, "GET accounts", r, http.StatusOK)
	r.json(t, &rows)
	if len(rows) != 2 || rows[0].Username != "alice" || rows[1].Username != "bob" || rows[0].State != igtoken.StateOK {
		t.Errorf("GET accounts = %+v, want alice and bob, ok", rows)
	}
	wantContains(t, "GET accounts", r.body, `"account_id"`, `"token_kind": "long-lived"`, `"days_left"`, `"next_refresh_at"`)

	for _, ref := range []string{"alice", "@alice", "ALICE", alice.ID} {
		var row igtoken.AccountStatus
		r := e.api(t, "GET", "/api/v1/accounts/"+ref)
		wantStatus(t, "GET accounts/"+ref, r, http.StatusOK)
		r.json(t, &row)
		if row.AccountID != alice.ID || row.Username != "alice" {
			t.Errorf("GET accounts/%s = %+v, want alice", ref, row)
		}
	}
	for _, path := range []string{"/api/v1/accounts/nobody", "/api/v1/accounts/nobody/token", "/api/v1/accounts/nobody/history"} {
		r := e.api(t, "GET", path)
		if r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
			t.Errorf("GET %s = %d %s, want 404 not_found", path, r.status, r.body)
		}
	}
	if r := e.api(t, "GET", "/api/v1/unknown"); r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
		t.Errorf("GET /api/v1/unknown = %d %s, want a JSON 404", r.status, r.body)
	}
}

func TestAPI_Refresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.login(t, "alice")

	// Younger than 24 h: Meta would refuse, so even a forced refresh skips.
	var res igtoken.Result
	r := e.api(t, "POST", "/api/v1/accounts/alice/refresh")
	wantStatus(t, "refresh a fresh token", r, http.StatusOK)
	r.json(t, &res)
	if res.Outcome != igtoken.ResultSkipped {
		t.Errorf("refresh of a fresh token: outcome %q (%s), want skipped", res.Outcome, res.Reason)
	}

	// Two days later the window is far off, but the refresh is forced.
	e.emu.Advance(2 * day)
	r = e.api(t, "POST", "/api/v1/accounts/"+alice.ID+"/refresh")
	wantStatus(t, "refresh", r, http.StatusOK)
	r.json(t, &res)
	if res.Outcome != igtoken.ResultRefreshed || res.AccountID != alice.ID || res.NewExpiresAt == nil {
		t.Errorf("refresh: %+v, want refreshed with a new expiry", res)
	}
	stored := e.accounts(t)[0]
	if stored.Token.Value == alice.Token.Value || !stored.Token.ExpiresAt.After(alice.Token.ExpiresAt) {
		t.Error("the refreshed token was not stored")
	}
	if r := e.api(t, "POST", "/api/v1/accounts/nobody/refresh"); r.status != http.StatusNotFound {
		t.Errorf("refresh of an unknown account = %d, want 404", r.status)
	}
}

func TestAPI_Token(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.login(t, "alice")

	var got struct {
		AccessToken string    `json:"access_token"`
		ExpiresAt   time.Time `json:"expires_at"`
		TokenKind   string    `json:"token_kind"`
	}
	r := e.api(t, "GET", "/api/v1/accounts/alice/token")
	wantStatus(t, "GET token", r, http.StatusOK)
	r.json(t, &got)
	if d := got.ExpiresAt.Sub(alice.Token.ExpiresAt); got.AccessToken != alice.Token.Value || got.TokenKind != "long-lived" ||
		d < -time.Second || d > time.Second {
		t.Errorf("GET token = kind %s, expires %v, right value %v; want alice's stored token",
			got.TokenKind, got.ExpiresAt, got.AccessToken == alice.Token.Value)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}

	t.Run("NeedsReconnect", func(t *testing.T) {
		e := newEnv(t, nil)
		e.login(t, "alice")
		e.emu.Revoke("alice", 460)
		e.emu.Advance(2 * day)
		e.api(t, "POST", "/api/v1/accounts/alice/refresh") // finds out
		r := e.api(t, "GET", "/api/v1/accounts/alice/token")
		if r.status != http.StatusConflict || r.errorCode(t) != "reauth_required" {
			t.Fatalf("GET token = %d %s, want 409 reauth_required", r.status, r.body)
		}
		wantContains(t, "the error", r.body, "changed their password", "connect again")
	})
	t.Run("Deauthorized", func(t *testing.T) {
		e := newEnv(t, nil)
		a := e.login(t, "alice")
		if _, err := e.mgr.Deauthorize(t.Context(), a.AppScopedID); err != nil {
			t.Fatal(err)
		}
		r := e.api(t, "GET", "/api/v1/accounts/alice/token")
		if r.status != http.StatusConflict || r.errorCode(t) != "reauth_required" {
			t.Errorf("GET token = %d %s, want 409 reauth_required", r.status, r.body)
		}
		wantContains(t, "the error", r.body, "removed the app")
	})
	t.Run("Expired", func(t *testing.T) {
		e := newEnv(t, nil)
		e.login(t, "alice")
		e.emu.Advance(61 * day)
		r := e.api(t, "GET", "/api/v1/accounts/alice/token")
		if r.status != http.StatusConflict || r.errorCode(t) != "reauth_required" {
			t.Errorf("GET token = %d %s, want 409", r.status, r.body)
		}
		wantContains(t, "the error", r.body, "expired")
	})
}

func TestAPI_HistoryAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.login(t, "alice")
	e.emu.Advance(2 * day)
	e.api(t, "POST", "/api/v1/accounts/alice/refresh")

	var entries []map[string]any
	r := e.api(t, "GET", "/api/v1/accounts/alice/history")
	wantStatus(t, "GET history", r, http.StatusOK)
	r.json(t, &entries)
	if len(entries) != 2 || entries[0]["outcome"] != "refreshed" || entries[1]["outcome"] != "connected" ||
		entries[0]["account_id"] != alice.ID || entries[0]["trigger"] != "serve" {
		t.Errorf("history = %v, want refreshed (serve) then connected", entries)
	}
	r = e.api(t, "GET", "/api/v1/accounts/alice/history?limit=1")
	r.json(t, &entries)
	if len(entries) != 1 {
		t.Errorf("history?limit=1 has %d entries", len(entries))
	}
	for _, bad := range []string{"0", "x", "100000"} {
		if r := e.api(t, "GET", "/api/v1/accounts/alice/history?limit="+bad); r.status != http.StatusBadRequest || r.errorCode(t) != "bad_request" {
			t.Errorf("limit=%s: %d %s, want 400 bad_request", bad, r.status, r.body)
		}
	}

	r = e.api(t, "DELETE", "/api/v1/accounts/alice")
	wantStatus(t, "DELETE", r, http.StatusNoContent)
	if n := len(e.accounts(t)); n != 0 {
		t.Errorf("%d accounts after DELETE, want none", n)
	}
	if r := e.api(t, "DELETE", "/api/v1/accounts/alice"); r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
		t.Errorf("second DELETE = %d %s, want 404", r.status, r.body)
	}
}
