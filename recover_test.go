package igtoken_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
)

func TestManager_Recover_RereadsARotatedToken(t *testing.T) {
	e := newEnv(t, emulator.Config{RefreshRotates: true, OldTokenValidAfterRotate: new(false)})
	a := e.login(t, "alice")
	stale := e.account(t, a.ID).Token.Value
	e.emu.Advance(36 * day)
	// Another process refreshes: the string rotates and the old one dies.
	other := igtoken.NewManager(e.store, e.mgr.Graph())
	other.Now = e.emu.Now
	if _, err := other.Refresh(t.Context(), igtoken.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, err := e.mgr.Recover(t.Context(), a.ID, stale, errors.New("190"))
	if err != nil || tok.Value == stale || !e.emu.TokenValid(tok.Value) {
		t.Fatalf("Recover = fresh %v, valid %v, err %v; want the other process's token", tok.Value != stale, e.emu.TokenValid(tok.Value), err)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 1 {
		t.Errorf("%d refresh calls, want 1 (the re-read needs none)", n)
	}
}

func TestManager_HTTPClient_RecoversOnce(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	e.emu.Advance(2 * day)
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Status: 400, Code: 190, Subcode: 463})
	before := e.emu.Calls(emulator.EndpointMe)
	resp := e.get(t, a.ID, "/me?fields=username")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d after recovery, want 200", resp.StatusCode)
	}
	if n := e.emu.Calls(emulator.EndpointMe) - before; n != 2 {
		t.Errorf("%d /me calls, want 2 (the failed one and one retry)", n)
	}
	h, _ := e.mgr.History(t.Context(), a.ID, 1)
	if len(h) != 1 || h[0].Trigger != igtoken.Trigger190 || h[0].Outcome != igtoken.OutcomeRefreshed {
		t.Errorf("latest history %+v, want a refresh triggered by 190", h)
	}
}

func TestManager_HTTPClient_RevokedMarksOnce(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	e.emu.Advance(2 * day)
	e.emu.Revoke("alice", 460)
	client := e.mgr.HTTPClient(t.Context(), a.ID)
	before := e.emu.Calls(emulator.EndpointMe)
	for range 2 {
		_, err := client.Get(e.url + "/me?fields=username")
		if !errors.Is(err, igtoken.ErrReauthRequired) {
			t.Fatalf("GET /me with a revoked token: %v, want ErrReauthRequired", err)
		}
	}
	if n := e.emu.Calls(emulator.EndpointMe) - before; n != 1 {
		t.Errorf("%d /me calls, want 1: no retry, and none once the account needs a reconnect", n)
	}
	if n := e.events.count(igtoken.EventNeedsReconnect); n != 1 {
		t.Errorf("%d needs_reconnect events, want 1", n)
	}
}

func TestManager_TokenSource(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	ts := e.mgr.TokenSource(t.Context(), a.ID)
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != e.account(t, a.ID).Token.Value || tok.Expiry.IsZero() {
		t.Fatalf("Token() = %v, %v", tok != nil, err)
	}
	if _, err := e.mgr.Deauthorize(t.Context(), a.AppScopedID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); !errors.Is(err, igtoken.ErrReauthRequired) {
		t.Errorf("Token() after deauthorize: %v, want ErrReauthRequired", err)
	}
}

func (e *env) get(tb testing.TB, id, path string) *http.Response {
	tb.Helper()
	resp, err := e.mgr.HTTPClient(tb.Context(), id).Get(e.url + path)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestManager_Do(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	e.emu.Advance(2 * day)
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Status: 400, Code: 190, Subcode: 463})
	calls := 0
	err := e.mgr.Do(t.Context(), a.ID, func(ctx context.Context, token string) error {
		calls++
		_, err := e.mgr.Graph().Me(ctx, token)
		return err
	})
	if err != nil || calls != 2 {
		t.Fatalf("Do = %v after %d calls, want success after 2", err, calls)
	}

	e.emu.Revoke("alice", 460)
	calls = 0
	err = e.mgr.Do(t.Context(), a.ID, func(ctx context.Context, token string) error {
		calls++
		_, err := e.mgr.Graph().Me(ctx, token)
		return err
	})
	if !errors.Is(err, igtoken.ErrReauthRequired) || calls != 1 {
		t.Errorf("Do with a revoked token = %v after %d calls, want ErrReauthRequired after 1", err, calls)
	}
}

// Near Meta's limit, calls slow down before Meta throttles (§4).
func TestManager_Do_SlowsDownNearTheLimit(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	me := func(ctx context.Context, token string) error {
		_, err := e.mgr.Graph().Me(ctx, token)
		return err
	}
	e.emu.SetUsage(95, -1)
	if err := e.mgr.Do(t.Context(), a.ID, me); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := e.mgr.Do(t.Context(), a.ID, me); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("at 95 %% app usage the next call went after %v, want a pause of at least 1 s", waited)
	}
}

// A token asked for close to expiry (the daemon has been failing) is
// refreshed on demand; a failing refresh still hands out the valid token.
func TestManager_Token_RefreshesWhenExpiring(t *testing.T) {
	e := newEnv(t, emulator.Config{RefreshRotates: true})
	a := e.login(t, "alice")
	old := e.account(t, a.ID).Token.Value

	if _, err := e.mgr.Token(t.Context(), a.ID); err != nil || e.emu.Calls(emulator.EndpointIGRefreshToken) != 0 {
		t.Fatalf("a fresh token: err %v, %d refresh calls; want none", err, e.emu.Calls(emulator.EndpointIGRefreshToken))
	}
	e.emu.Advance(55 * day) // 5 days left
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 3, emulator.Fault{Status: 500, Code: 2})
	tok, err := e.mgr.Token(t.Context(), a.ID)
	if err != nil || tok.Value != old {
		t.Fatalf("refresh failing: Token = new %v, err %v; want the old, still valid token", tok.Value != old, err)
	}
	tok, err = e.mgr.Token(t.Context(), a.ID)
	if err != nil || tok.Value == old || !e.emu.TokenValid(tok.Value) {
		t.Fatalf("refresh working: Token = new %v, err %v; want a refreshed token", tok.Value != old, err)
	}
	h, _ := e.mgr.History(t.Context(), a.ID, 1)
	if len(h) != 1 || h[0].Trigger != igtoken.TriggerUse || h[0].Outcome != igtoken.OutcomeRefreshed {
		t.Errorf("latest history %+v, want a refresh triggered by use", h)
	}
}
