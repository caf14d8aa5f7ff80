package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/server"
)

// TestSecretHygiene drives every route through successes and failures,
// then checks that no token Meta ever issued appears in a log line or in a
// response body other than GET …/token's.
func TestSecretHygiene(t *testing.T) {
	t.Parallel()
	var refresher *igtoken.Refresher
	e := newEnv(t, func(cfg *server.Config, e *env) {
		refresher = &igtoken.Refresher{Manager: e.mgr, OnPass: e.met.ObservePass}
		cfg.Refresher = refresher
	})
	b := e.browser()

	// Web logins: a success, a failed conversion, a spent code, an outage.
	wantStatus(t, "alice connects", b.connect(t, "alice"), http.StatusOK)
	cb := b.authorize(t, "bob", false)
	e.emu.FailNext(emulator.EndpointIGExchangeToken, 3, emulator.Fault{Code: 2})
	wantStatus(t, "bob connects (short-lived)", b.get(t, cb), http.StatusOK)
	u, _ := url.Parse(cb)
	wantStatus(t, "a spent code", b.get(t, withQuery(t, b.authorize(t, "bob", false), "code", u.Query().Get("code"))), http.StatusBadRequest)
	cb = b.authorize(t, "carol", false)
	e.emu.FailNext(emulator.EndpointMe, 3, emulator.Fault{Status: 500, Code: 1})
	wantStatus(t, "an outage", b.get(t, cb), http.StatusBadGateway)
	wantStatus(t, "carol connects", b.connect(t, "carol"), http.StatusOK)

	// The admin API, refreshes (rotating), a revoked account.
	e.emu.Advance(2 * day)
	for _, path := range []string{"/api/v1/accounts", "/api/v1/accounts/alice", "/api/v1/accounts/alice/history"} {
		wantStatus(t, path, e.api(t, "GET", path), http.StatusOK)
	}
	wantStatus(t, "GET token", e.api(t, "GET", "/api/v1/accounts/alice/token"), http.StatusOK)
	wantStatus(t, "refresh alice", e.api(t, "POST", "/api/v1/accounts/alice/refresh"), http.StatusOK)
	wantStatus(t, "convert bob", e.api(t, "POST", "/api/v1/accounts/bob/refresh"), http.StatusOK)
	e.emu.Revoke("carol", 460)
	wantStatus(t, "refresh carol", e.api(t, "POST", "/api/v1/accounts/carol/refresh"), http.StatusOK)
	wantStatus(t, "carol's token", e.api(t, "GET", "/api/v1/accounts/carol/token"), http.StatusConflict)

	// Using the tokens: messages, a Reel, the Graph proxy (even when
	// Instagram's answer or the caller's query holds a token).
	e.emu.OpenWindow("alice", "igsid-h")
	wantStatus(t, "message", e.apiJSON(t, "POST", "/api/v1/accounts/alice/messages",
		map[string]string{"to": "igsid-h", "text": "hi"}), http.StatusOK)
	wantStatus(t, "message outside the window", e.apiJSON(t, "POST", "/api/v1/accounts/alice/messages",
		map[string]string{"to": "stranger", "text": "hi"}), http.StatusUnprocessableEntity)
	wantStatus(t, "message from carol", e.apiJSON(t, "POST", "/api/v1/accounts/carol/messages",
		map[string]string{"to": "igsid-h", "text": "hi"}), http.StatusConflict)
	wantStatus(t, "reel", e.apiJSON(t, "POST", "/api/v1/accounts/alice/media",
		map[string]any{"video_url": videoURL}), http.StatusAccepted)
	alice, err := e.mgr.Resolve(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "proxy me", e.api(t, "GET", "/api/v1/accounts/alice/graph/me?fields=id,user_id,username"), http.StatusOK)
	wantStatus(t, "proxy with a token", e.api(t, "GET", "/api/v1/accounts/alice/graph/me?access_token="+
		url.QueryEscape(alice.Token.Value)), http.StatusOK)
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Status: 400, Code: 100, Message: "echo " + alice.Token.Value})
	wantStatus(t, "proxy echo", e.api(t, "GET", "/api/v1/accounts/alice/graph/me"), http.StatusBadRequest)
	wantStatus(t, "proxy elsewhere", e.api(t, "GET", "/api/v1/accounts/alice/graph/1234"), http.StatusForbidden)
	wantStatus(t, "proxy carol", e.api(t, "GET", "/api/v1/accounts/carol/graph/me"), http.StatusConflict)
	e.emu.Advance(40 * day)
	if _, err := refresher.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "GET accounts/bob", e.api(t, "GET", "/api/v1/accounts/bob"), http.StatusOK)
	wantStatus(t, "unauthorized", e.apiAs(t, "GET", "/api/v1/accounts/alice/token", "Bearer nope"), http.StatusUnauthorized)

	// Meta's callbacks.
	all := e.accounts(t)
	deauth := signed(t, emulator.DefaultAppSecret, map[string]any{"user_id": all[1].AppScopedID})
	wantStatus(t, "deauthorize", e.post(t, "/meta/deauthorize", url.Values{"signed_request": {deauth}}), http.StatusOK)
	del := e.post(t, "/meta/data-deletion", url.Values{"signed_request": {signed(t, emulator.DefaultAppSecret, map[string]any{"user_id": all[2].AppScopedID})}})
	wantStatus(t, "data deletion", del, http.StatusOK)
	var conf struct{ URL string }
	del.json(t, &conf)
	cu, _ := url.Parse(conf.URL)
	wantStatus(t, "deletion status", b.get(t, cu.Path), http.StatusOK)
	wantStatus(t, "tampered", e.post(t, "/meta/deauthorize", url.Values{"signed_request": {"x" + deauth}}), http.StatusBadRequest)

	// Operations.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		wantStatus(t, path, b.get(t, path), http.StatusOK)
	}
	wantStatus(t, "DELETE alice", e.api(t, "DELETE", "/api/v1/accounts/alice"), http.StatusNoContent)

	secrets := e.tokens.all()
	if len(secrets) < 8 {
		t.Fatalf("only %d tokens seen; the test did not exercise enough", len(secrets))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"http request"`) || !strings.Contains(logs, "fingerprint") {
		t.Fatal("the logs were not captured")
	}
	bodies := e.bodies.all()
	for _, tok := range secrets {
		if strings.Contains(logs, tok) {
			t.Errorf("a token (%s…) appears in the logs", tok[:8])
		}
		for _, body := range bodies {
			if strings.Contains(body, tok) {
				t.Errorf("a token (%s…) appears in the response to %s", tok[:8], strings.SplitN(body, "\n", 2)[0])
			}
		}
	}
	for name, secret := range map[string]string{"admin token": adminToken, "app secret": emulator.DefaultAppSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
}
