package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/testenv"
)

// apiBody calls the admin API with a body of contentType.
func (e *env) apiBody(tb testing.TB, method, path, contentType, body string) response {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", contentType)
	return e.do(tb, http.DefaultClient, req)
}

// apiJSON calls the admin API with v as a JSON body.
func (e *env) apiJSON(tb testing.TB, method, path string, v any) response {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return e.apiBody(tb, method, path, "application/json", string(b))
}

func (e *env) state(tb testing.TB, ref string) igtoken.State {
	tb.Helper()
	r := e.api(tb, "GET", "/api/v1/accounts/"+ref)
	wantStatus(tb, "GET account", r, http.StatusOK)
	var st igtoken.AccountStatus
	r.json(tb, &st)
	return st.State
}

func (e *env) storedToken(tb testing.TB, id string) string {
	tb.Helper()
	a, err := e.store.Account(tb.Context(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return a.Token.Value
}

// events records the Manager's events, passing them on to the metrics.
type events struct {
	mu   sync.Mutex
	list []igtoken.Event
}

func (e *env) recordEvents() *events {
	ev := &events{}
	next := e.mgr.Notifier
	e.mgr.Notifier = igtoken.NotifierFunc(func(ctx context.Context, x igtoken.Event) error {
		ev.mu.Lock()
		ev.list = append(ev.list, x)
		ev.mu.Unlock()
		return next.Notify(ctx, x)
	})
	return ev
}

func (ev *events) count(typ igtoken.EventType) int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	n := 0
	for _, x := range ev.list {
		if x.Type == typ {
			n++
		}
	}
	return n
}

type sent struct {
	MessageID string `json:"message_id"`
}

func TestSendMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.login(t, "alice")
	e.emu.OpenWindow("alice", "igsid-1")

	r := e.apiJSON(t, "POST", "/api/v1/accounts/alice/messages", map[string]string{"to": "igsid-1", "text": "hello"})
	wantStatus(t, "send", r, http.StatusOK)
	var got sent
	r.json(t, &got)
	msgs := e.emu.Messages("alice")
	if len(msgs) != 1 || msgs[0].ID != got.MessageID || msgs[0].Text != "hello" || msgs[0].Recipient != "igsid-1" {
		t.Fatalf("emulator messages = %+v, want one with id %q", msgs, got.MessageID)
	}

	// Bad requests never reach Instagram.
	for name, body := range map[string]string{
		"no to":       `{"text":"hi"}`,
		"no text":     `{"to":"igsid-1"}`,
		"blank text":  `{"to":"igsid-1","text":"  "}`,
		"not JSON":    `to=igsid-1`,
		"unknown key": `{"to":"igsid-1","text":"hi","tag":"HUMAN_AGENT"}`,
		"two objects": `{"to":"igsid-1","text":"hi"}{}`,
		"too long":    `{"to":"igsid-1","text":"` + strings.Repeat("x", 1001) + `"}`,
		"empty":       ``,
	} {
		r := e.apiBody(t, "POST", "/api/v1/accounts/alice/messages", "application/json", body)
		wantStatus(t, name, r, http.StatusBadRequest)
		if code := r.errorCode(t); code != "bad_request" {
			t.Errorf("%s: code %q, want bad_request", name, code)
		}
	}
	big := `{"to":"igsid-1","text":"` + strings.Repeat("x", 2<<20) + `"}`
	wantStatus(t, "a body over 1 MiB", e.apiBody(t, "POST", "/api/v1/accounts/alice/messages", "application/json", big),
		http.StatusRequestEntityTooLarge)
	wantStatus(t, "unknown account", e.apiJSON(t, "POST", "/api/v1/accounts/nobody/messages",
		map[string]string{"to": "igsid-1", "text": "hi"}), http.StatusNotFound)
	wantStatus(t, "no admin token", e.apiAs(t, "POST", "/api/v1/accounts/alice/messages", ""), http.StatusUnauthorized)
	if n := e.emu.Calls(emulator.EndpointMessages); n != 1 {
		t.Errorf("the emulator got %d message calls, want 1", n)
	}
}

func TestSendMessageOutsideWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.login(t, "alice")
	e.emu.OpenWindow("alice", "igsid-1")
	e.emu.Advance(25 * time.Hour) // the window closed

	r := e.apiJSON(t, "POST", "/api/v1/accounts/alice/messages", map[string]string{"to": "igsid-1", "text": "late"})
	wantStatus(t, "send", r, http.StatusUnprocessableEntity)
	if code := r.errorCode(t); code != "outside_window" {
		t.Errorf("code %q, want outside_window", code)
	}
	wantContains(t, "the error", r.body, "not a token problem", "24 hours")
	if n := len(e.emu.Messages("alice")); n != 0 {
		t.Errorf("%d messages delivered, want 0", n)
	}
	if n := e.emu.Calls(emulator.EndpointMessages); n != 1 {
		t.Errorf("the emulator got %d message calls, want 1 (not retried)", n)
	}
	if st := e.state(t, "alice"); st != igtoken.StateOK {
		t.Errorf("account state %q, want ok", st)
	}
}

// TestSendMessageStaleToken: a token rotated by another process is picked
// up from the store, and a 190 is recovered once, with each message
// delivered exactly once.
func TestSendMessageStaleToken(t *testing.T) {
	t.Parallel()
	e := newEnvEmu(t, func(c *emulator.Config) { c.OldTokenValidAfterRotate = new(false) }, nil)
	a := e.login(t, "alice")
	first := e.storedToken(t, a.ID)

	// Another process (say, the CLI) refreshes: the old string dies.
	e.emu.Advance(25 * time.Hour)
	client := testenv.Client(e.mgr.Graph().GraphURL, e.callback)
	other := testenv.Manager(e.store, client, e.emu)
	rep, err := other.Refresh(t.Context(), igtoken.RunOptions{IDs: []string{a.ID}, Force: true})
	if err != nil || len(rep.Results) != 1 || rep.Results[0].Outcome != igtoken.ResultRefreshed {
		t.Fatalf("the other Manager's refresh: %+v, %v", rep, err)
	}
	if e.storedToken(t, a.ID) == first {
		t.Fatal("the refresh did not rotate the token")
	}
	e.emu.OpenWindow("alice", "igsid-1")
	wantStatus(t, "send after the rotation", e.apiJSON(t, "POST", "/api/v1/accounts/alice/messages",
		map[string]string{"to": "igsid-1", "text": "one"}), http.StatusOK)
	if n := e.emu.Calls(emulator.EndpointMessages); n != 1 {
		t.Errorf("the emulator got %d message calls, want 1: the service used a stale token", n)
	}

	// Instagram rejects the token once (190/463): the service recovers it
	// and sends once more.
	e.emu.Advance(25 * time.Hour)
	e.emu.OpenWindow("alice", "igsid-1")
	second := e.storedToken(t, a.ID)
	e.emu.FailNext(emulator.EndpointMessages, 1, emulator.Fault{Status: 400, Code: 190, Subcode: 463})
	r := e.apiJSON(t, "POST", "/api/v1/accounts/alice/messages", map[string]string{"to": "igsid-1", "text": "two"})
	wantStatus(t, "send after a 190", r, http.StatusOK)
	var got sent
	r.json(t, &got)
	msgs := e.emu.Messages("alice")
	if len(msgs) != 2 || msgs[0].Text != "one" || msgs[1].Text != "two" || msgs[1].ID != got.MessageID {
		t.Fatalf("emulator messages = %+v, want one and two, each once", msgs)
	}
	if n := e.emu.Calls(emulator.EndpointMessages); n != 3 {
		t.Errorf("the emulator got %d message calls, want 3 (one, the 190, two)", n)
	}
	if e.storedToken(t, a.ID) == second {
		t.Error("the 190 did not renew the token")
	}
	if st := e.state(t, "alice"); st != igtoken.StateOK {
		t.Errorf("account state %q, want ok", st)
	}
}

func TestSendMessageRevoked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ev := e.recordEvents()
	e.login(t, "alice")
	e.emu.OpenWindow("alice", "igsid-1")
	e.emu.Revoke("alice", 460)

	for i := range 2 {
		r := e.apiJSON(t, "POST", "/api/v1/accounts/alice/messages", map[string]string{"to": "igsid-1", "text": "hi"})
		wantStatus(t, "send", r, http.StatusConflict)
		if code := r.errorCode(t); code != "reauth_required" {
			t.Errorf("send %d: code %q, want reauth_required", i, code)
		}
	}
	if n := e.emu.Calls(emulator.EndpointMessages); n != 1 {
		t.Errorf("the emulator got %d message calls, want 1", n)
	}
	if n := len(e.emu.Messages("alice")); n != 0 {
		t.Errorf("%d messages delivered, want 0", n)
	}
	if st := e.state(t, "alice"); st != igtoken.StateNeedsReconnect {
		t.Errorf("account state %q, want needs_reconnect", st)
	}
	if n := ev.count(igtoken.EventNeedsReconnect); n != 1 {
		t.Errorf("%d needs_reconnect events, want 1", n)
	}
}

type published struct {
	ContainerID string `json:"container_id"`
	MediaID     string `json:"media_id"`
}

const videoURL = "https://videos.example/reel.mp4"

func TestPublishMedia(t *testing.T) {
	t.Parallel()
	e := newEnvEmu(t, func(c *emulator.Config) { c.ProcessingTime = -1 }, nil)
	e.login(t, "alice")

	r := e.apiJSON(t, "POST", "/api/v1/accounts/alice/media",
		map[string]any{"video_url": videoURL, "caption": "a reel", "share_to_feed": true})
	wantStatus(t, "publish", r, http.StatusCreated)
	var got published
	r.json(t, &got)
	media := e.emu.Published("alice")
	if len(media) != 1 || got.MediaID == "" || media[0].ID != got.MediaID || media[0].ContainerID != got.ContainerID {
		t.Fatalf("emulator media = %+v, answer %+v", media, got)
	}
	if m := media[0]; m.SourceURL != videoURL || m.Caption != "a reel" || !m.ShareToFeed || m.MediaProductType != "REELS" {
		t.Errorf("published %+v", m)
	}

	for name, body := range map[string]string{
		"no video_url":   `{"caption":"x"}`,
		"not a URL":      `{"video_url":"reel.mp4"}`,
		"ftp":            `{"video_url":"ftp://videos.example/reel.mp4"}`,
		"negative wait":  `{"video_url":"https://videos.example/reel.mp4","wait_seconds":-1}`,
		"a file":         `{"video_file":"/etc/passwd"}`,
		"wait not a num": `{"video_url":"https://videos.example/reel.mp4","wait_seconds":"10"}`,
	} {
		r := e.apiBody(t, "POST", "/api/v1/accounts/alice/media", "application/json", body)
		wantStatus(t, name, r, http.StatusBadRequest)
	}
	if n := e.emu.Calls(emulator.EndpointMedia); n != 1 {
		t.Errorf("the emulator got %d container calls, want 1", n)
	}
}

func TestPublishMediaProcessing(t *testing.T) {
	t.Parallel()
	e := newEnvEmu(t, func(c *emulator.Config) { c.ProcessingTime = 2 * time.Second }, nil)
	e.login(t, "alice")

	// No wait: the video is still processing.
	r := e.apiJSON(t, "POST", "/api/v1/accounts/alice/media", map[string]any{"video_url": videoURL})
	wantStatus(t, "publish without waiting", r, http.StatusAccepted)
	var got published
	r.json(t, &got)
	if got.ContainerID == "" || got.MediaID != "" || strings.Contains(r.body, "media_id") {
		t.Errorf("answer %s, want a container id only", r.body)
	}
	if n := len(e.emu.Published("alice")); n != 0 {
		t.Errorf("%d media published, want 0", n)
	}

	// A wait long enough (wait_seconds above 300 is capped).
	r = e.apiJSON(t, "POST", "/api/v1/accounts/alice/media", map[string]any{"video_url": videoURL, "wait_seconds": 1000})
	wantStatus(t, "publish with a wait", r, http.StatusCreated)
	r.json(t, &got)
	if media := e.emu.Published("alice"); len(media) != 1 || media[0].ID != got.MediaID {
		t.Errorf("emulator media = %+v, answer %+v", media, got)
	}
}

func TestPublishMediaQuotaUsed(t *testing.T) {
	t.Parallel()
	e := newEnvEmu(t, func(c *emulator.Config) { c.ProcessingTime, c.PublishQuota = -1, 2 }, nil)
	e.login(t, "alice")
	for range 2 {
		wantStatus(t, "publish", e.apiJSON(t, "POST", "/api/v1/accounts/alice/media", map[string]any{"video_url": videoURL}),
			http.StatusCreated)
	}
	containers := e.emu.Calls(emulator.EndpointMedia)
	r := e.apiJSON(t, "POST", "/api/v1/accounts/alice/media", map[string]any{"video_url": videoURL})
	wantStatus(t, "publish over the quota", r, http.StatusTooManyRequests)
	if code := r.errorCode(t); code != "quota_used" {
		t.Errorf("code %q, want quota_used", code)
	}
	if n := e.emu.Calls(emulator.EndpointMedia); n != containers {
		t.Errorf("a container was created over the quota (%d calls, want %d)", n, containers)
	}
	if n := len(e.emu.Published("alice")); n != 2 {
		t.Errorf("%d media published, want 2", n)
	}
	if st := e.state(t, "alice"); st != igtoken.StateOK {
		t.Errorf("account state %q, want ok", st)
	}
}

func TestGraphProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.login(t, "alice")
	bob := e.login(t, "bob")

	r := e.api(t, "GET", "/api/v1/accounts/alice/graph/me?fields=username,user_id")
	wantStatus(t, "GET me", r, http.StatusOK)
	var me struct{ Username, UserID string }
	r.json(t, &me)
	if me.Username != "alice" {
		t.Errorf("GET me = %s, want alice", r.body)
	}
	for _, h := range []string{"X-App-Usage", "X-Business-Use-Case-Usage"} {
		if r.header.Get(h) == "" {
			t.Errorf("the %s header was not passed back", h)
		}
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}

	// By id, by username, with a version.
	r = e.api(t, "GET", "/api/v1/accounts/"+alice.ID+"/graph/v23.0/"+alice.ID+"?fields=username")
	wantStatus(t, "GET {id} with a version", r, http.StatusOK)
	wantContains(t, "GET {id}", r.body, `"alice"`)

	// Another account's node, the root, traversal: refused before Meta.
	calls := e.emu.Calls(emulator.EndpointMe)
	for _, path := range []string{
		"/api/v1/accounts/alice/graph/" + bob.ID + "?fields=username",
		"/api/v1/accounts/alice/graph/v23.0/" + bob.ID + "/media",
		"/api/v1/accounts/alice/graph/v23.0",
		"/api/v1/accounts/alice/graph/",
		"/api/v1/accounts/alice/graph/me/%2E%2E/" + bob.ID,
		"/api/v1/accounts/alice/graph/me%2F..%2F" + bob.ID,
		"/api/v1/accounts/alice/graph/debug_token",
	} {
		r := e.api(t, "GET", path)
		wantStatus(t, path, r, http.StatusForbidden)
		if code := r.errorCode(t); code != "forbidden_path" {
			t.Errorf("%s: code %q, want forbidden_path", path, code)
		}
	}
	if n := e.emu.Calls(emulator.EndpointMe); n != calls {
		t.Errorf("refused paths reached the emulator (%d calls, want %d)", n, calls)
	}

	// A caller's own token and proof are dropped: the stored one is used.
	bobToken := e.storedToken(t, bob.ID)
	q := url.Values{"fields": {"username"}, "access_token": {bobToken}, "appsecret_proof": {"0123"}}
	r = e.api(t, "GET", "/api/v1/accounts/alice/graph/me?"+q.Encode())
	wantStatus(t, "GET me with bob's token", r, http.StatusOK)
	r.json(t, &me)
	if me.Username != "alice" {
		t.Errorf("GET me with bob's token answered for %q, want alice", me.Username)
	}

	// POST, form and JSON, with bob's token in the body: sent as alice.
	e.emu.OpenWindow("alice", "igsid-1")
	form := url.Values{"recipient": {`{"id":"igsid-1"}`}, "message": {`{"text":"by form"}`}, "access_token": {bobToken}}
	r = e.apiBody(t, "POST", "/api/v1/accounts/alice/graph/me/messages", "application/x-www-form-urlencoded", form.Encode())
	wantStatus(t, "POST form", r, http.StatusOK)
	r = e.apiBody(t, "POST", "/api/v1/accounts/alice/graph/"+alice.ID+"/messages", "application/json",
		`{"recipient":{"id":"igsid-1"},"message":{"text":"by JSON"},"access_token":"`+bobToken+`"}`)
	wantStatus(t, "POST JSON", r, http.StatusOK)
	if n, m := len(e.emu.Messages("alice")), len(e.emu.Messages("bob")); n != 2 || m != 0 {
		t.Errorf("alice sent %d, bob %d; want 2 and 0", n, m)
	}
	wantStatus(t, "POST multipart", e.apiBody(t, "POST", "/api/v1/accounts/alice/graph/me/messages",
		"multipart/form-data; boundary=x", "--x--"), http.StatusUnsupportedMediaType)

	// Meta's errors come back as they are.
	r = e.api(t, "GET", "/api/v1/accounts/alice/graph/me?fields=nonsense")
	wantStatus(t, "an unknown field", r, http.StatusBadRequest)
	wantContains(t, "the Graph error", r.body, `"code":100`)

	// A token in Instagram's answer is scrubbed.
	aliceToken := e.storedToken(t, alice.ID)
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Status: 400, Code: 100, Message: "echo " + aliceToken})
	r = e.api(t, "GET", "/api/v1/accounts/alice/graph/me")
	wantStatus(t, "an answer with the token", r, http.StatusBadRequest)
	wantContains(t, "the scrubbed answer", r.body, "echo [redacted]")

	// A 190 is recovered once.
	e.emu.Advance(25 * time.Hour)
	before := e.storedToken(t, alice.ID)
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Status: 400, Code: 190, Subcode: 463})
	wantStatus(t, "GET me after a 190", e.api(t, "GET", "/api/v1/accounts/alice/graph/me"), http.StatusOK)
	if e.storedToken(t, alice.ID) == before {
		t.Error("the 190 did not renew the token")
	}

	// A revoked account: 409.
	e.emu.Revoke("bob", 460)
	r = e.api(t, "GET", "/api/v1/accounts/bob/graph/me")
	wantStatus(t, "GET me revoked", r, http.StatusConflict)
	if code := r.errorCode(t); code != "reauth_required" {
		t.Errorf("code %q, want reauth_required", code)
	}

	for _, tok := range append(e.tokens.all(), bobToken) {
		for _, body := range e.bodies.all() {
			if strings.Contains(body, tok) {
				t.Errorf("a token (%s…) appears in the response to %s", tok[:8], strings.SplitN(body, "\n", 2)[0])
			}
		}
	}
}
