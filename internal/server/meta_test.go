package server_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/server"
)

func signed(t *testing.T, secret string, payload any) string {
	t.Helper()
	sr, err := server.SignRequest(secret, payload)
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

func TestSignRequest(t *testing.T) {
	t.Parallel()
	sr := signed(t, "s3cret", map[string]any{"user_id": "218471", "issued_at": 1291836800})
	sig, payload, ok := strings.Cut(sr, ".")
	if !ok || strings.Contains(sr, "=") {
		t.Fatalf("SignRequest = %q, want unpadded sig.payload", sr)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(sig); err != nil || len(raw) != 32 {
		t.Errorf("signature %q is not a base64url HMAC-SHA256 (%v)", sig, err)
	}
	body, _ := base64.RawURLEncoding.DecodeString(payload)
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil || got["algorithm"] != "HMAC-SHA256" || got["user_id"] != "218471" {
		t.Errorf("payload = %s (%v), want user_id and the algorithm added", body, err)
	}
}

func TestMeta_Deauthorize(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.login(t, "alice")
	good := signed(t, emulator.DefaultAppSecret, map[string]any{"user_id": a.AppScopedID, "algorithm": "HMAC-SHA256", "issued_at": 1634206592})
	sig, payload, _ := strings.Cut(good, ".")
	otherUser := base64.RawURLEncoding.EncodeToString([]byte(`{"user_id":"999","algorithm":"HMAC-SHA256"}`))
	refused := []struct{ name, sr string }{
		{"Empty", ""},
		{"NoDot", sig + payload},
		{"TamperedPayload", sig + "." + otherUser},
		{"TamperedSignature", "A" + sig[1:] + "." + payload},
		{"WrongSecret", signed(t, "not-the-secret", map[string]any{"user_id": a.AppScopedID})},
		{"WrongAlgorithm", signed(t, emulator.DefaultAppSecret, map[string]any{"user_id": a.AppScopedID, "algorithm": "HMAC-SHA1"})},
		{"NoUser", signed(t, emulator.DefaultAppSecret, map[string]any{"issued_at": 1})},
		{"NotJSON", signed(t, emulator.DefaultAppSecret, "just a string")},
	}
	for _, tc := range refused {
		r := e.post(t, "/meta/deauthorize", url.Values{"signed_request": {tc.sr}})
		if r.status != http.StatusBadRequest || r.errorCode(t) != "bad_request" {
			t.Errorf("%s: %d %s, want 400 bad_request", tc.name, r.status, r.body)
		}
	}
	if st, _ := e.mgr.Statuses(t.Context()); st[0].State != igtoken.StateOK {
		t.Fatalf("after refused callbacks the account is %s, want ok", st[0].State)
	}

	// Padding on both parts, as some senders add, is accepted.
	padded := pad(sig) + "." + pad(payload)
	r := e.post(t, "/meta/deauthorize", url.Values{"signed_request": {padded}})
	wantStatus(t, "a padded signed_request", r, http.StatusOK)
	if strings.TrimSpace(r.body) != `{
  "ok": true
}` {
		t.Errorf("body = %s, want {\"ok\":true}", r.body)
	}
	st, _ := e.mgr.Statuses(t.Context())
	if st[0].State != igtoken.StateNeedsReconnect {
		t.Errorf("after deauthorize the account is %s, want needs_reconnect", st[0].State)
	}

	// An unknown user is answered 200, or Meta retries forever.
	r = e.post(t, "/meta/deauthorize", url.Values{"signed_request": {signed(t, emulator.DefaultAppSecret, map[string]any{"user_id": 12345})}})
	wantStatus(t, "deauthorize of an unknown user", r, http.StatusOK)
}

func pad(s string) string {
	for len(s)%4 != 0 {
		s += "="
	}
	return s
}

func TestMeta_DataDeletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.login(t, "alice")
	e.login(t, "bob")
	r := e.post(t, "/meta/data-deletion", url.Values{"signed_request": {
		signed(t, emulator.DefaultAppSecret, map[string]any{"user_id": a.AppScopedID, "issued_at": 1291836800, "expires": 1291840400}),
	}})
	wantStatus(t, "data deletion", r, http.StatusOK)
	var got struct {
		URL  string `json:"url"`
		Code string `json:"confirmation_code"`
	}
	r.json(t, &got)
	if !regexp.MustCompile(`^[A-Za-z0-9]{8,}$`).MatchString(got.Code) {
		t.Errorf("confirmation_code = %q, want alphanumeric", got.Code)
	}
	if got.URL != "https://igtoken.example/meta/deletion-status/"+got.Code {
		t.Errorf("url = %q, want the status page under the public URL", got.URL)
	}
	if all := e.accounts(t); len(all) != 1 || all[0].Username != "bob" {
		t.Errorf("after deletion %d accounts remain, want only bob", len(all))
	}
	if h, _ := e.mgr.History(t.Context(), a.ID, 0); len(h) != 0 {
		t.Errorf("alice's history survived the deletion: %d entries", len(h))
	}

	page := e.browser().get(t, "/meta/deletion-status/"+got.Code)
	wantStatus(t, "the status page", page, http.StatusOK)
	wantContains(t, "the status page", page.body, got.Code, "completed", "was deleted")

	unknown := e.browser().get(t, "/meta/deletion-status/NOSUCHCODE")
	wantStatus(t, "an unknown code", unknown, http.StatusNotFound)

	// A user with no data gets a confirmation too.
	r = e.post(t, "/meta/data-deletion", url.Values{"signed_request": {signed(t, emulator.DefaultAppSecret, map[string]any{"user_id": "404"})}})
	wantStatus(t, "deletion of an unknown user", r, http.StatusOK)
	r.json(t, &got)
	wantContains(t, "its status page", e.browser().get(t, "/meta/deletion-status/"+got.Code).body, "nothing to delete")

	if r := e.post(t, "/meta/data-deletion", url.Values{"signed_request": {"bad.request"}}); r.status != http.StatusBadRequest {
		t.Errorf("a bad signed_request = %d, want 400", r.status)
	}
}

func TestMeta_Limits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	big := url.Values{"signed_request": {strings.Repeat("a", 2<<20)}}
	if r := e.post(t, "/meta/deauthorize", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB body = %d, want 413", r.status)
	}
	noSecret := newEnv(t, func(cfg *server.Config, _ *env) { cfg.AppSecret = "" })
	sr := signed(t, "", map[string]any{"user_id": "1"})
	if r := noSecret.post(t, "/meta/deauthorize", url.Values{"signed_request": {sr}}); r.status != http.StatusServiceUnavailable {
		t.Errorf("without an app secret = %d, want 503", r.status)
	}
	if r := e.browser().get(t, "/meta/deauthorize"); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /meta/deauthorize = %d, want 405", r.status)
	}
}
