package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/notify"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const rawSecret = "s3cret-shared-with-the-receiver"

// receiver is a real HTTP server that records every webhook request and
// answers with respond(n), n counting requests from 1.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(tb testing.TB, respond func(n int, w http.ResponseWriter)) *receiver {
	tb.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{header: r.Header.Clone(), body: body, at: time.Now()})
		n := len(rc.reqs)
		rc.mu.Unlock()
		if respond == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		respond(n, w)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// statuses answers the n-th request with codes[n-1], and 204 after them.
func statuses(codes ...int) func(int, http.ResponseWriter) {
	return func(n int, w http.ResponseWriter) {
		if n <= len(codes) {
			w.WriteHeader(codes[n-1])
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func newWebhook(url, secret string) *notify.Webhook {
	return &notify.Webhook{
		URL:    url,
		Secret: secret,
		Retry:  igtoken.Backoff{Attempts: 5, Base: time.Millisecond, Max: 5 * time.Millisecond},
		Now:    func() time.Time { return t0 },
	}
}

// checkSigned verifies r with notify.Verify and, independently, recomputes
// the Standard Webhooks HMAC with key.
func checkSigned(tb testing.TB, secret string, key []byte, r received) {
	tb.Helper()
	if err := notify.Verify(secret, r.header, r.body, time.Minute, t0); err != nil {
		tb.Errorf("Verify: %v", err)
	}
	id, ts := r.header.Get("webhook-id"), r.header.Get("webhook-timestamp")
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(r.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if got := r.header.Get("webhook-signature"); got != want {
		tb.Errorf("webhook-signature = %q, want %q", got, want)
	}
}

func sampleEvent() igtoken.Event {
	return igtoken.Event{
		Type:      igtoken.EventNeedsReconnect,
		AccountID: "17841400000000001",
		Username:  "shop.example",
		At:        t0.Add(-time.Minute).Add(123 * time.Millisecond),
		ExpiresAt: t0.Add(10 * 24 * time.Hour),
		Reason:    "instagram refresh_access_token: (code 190, subcode 460) session invalidated",
	}
}

func TestWebhook_Delivers(t *testing.T) {
	rc := newReceiver(t, nil)
	if err := newWebhook(rc.URL, rawSecret).Notify(t.Context(), sampleEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	checkSigned(t, rawSecret, []byte(rawSecret), r)

	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got, want := r.header.Get("webhook-timestamp"), "1772366400"; got != want {
		t.Errorf("webhook-timestamp = %q, want %q", got, want)
	}
	id := r.header.Get("webhook-id")
	if !strings.HasPrefix(id, "msg_") || len(id) < 20 {
		t.Errorf("webhook-id = %q, want msg_ and a random part", id)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	want := map[string]any{
		"id":        id,
		"type":      "account.needs_reconnect",
		"timestamp": "2026-03-01T11:59:00Z",
		"data": map[string]any{
			"account_id": "17841400000000001",
			"username":   "shop.example",
			"expires_at": "2026-03-11T12:00:00Z",
			"reason":     "instagram refresh_access_token: (code 190, subcode 460) session invalidated",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payload mismatch (-want +got):\n%s", diff)
	}
}

func TestWebhook_IDsDifferPerEvent(t *testing.T) {
	rc := newReceiver(t, nil)
	wh := newWebhook(rc.URL, rawSecret)
	for range 2 {
		if err := wh.Notify(t.Context(), sampleEvent()); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	reqs := rc.requests()
	if a, b := reqs[0].header.Get("webhook-id"), reqs[1].header.Get("webhook-id"); a == b {
		t.Errorf("two events share webhook-id %q", a)
	}
}

func TestWebhook_RetriesWithSameID(t *testing.T) {
	rc := newReceiver(t, statuses(http.StatusInternalServerError, http.StatusServiceUnavailable))
	if err := newWebhook(rc.URL, rawSecret).Notify(t.Context(), sampleEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3 (500, 503, then success)", len(reqs))
	}
	for i, r := range reqs {
		checkSigned(t, rawSecret, []byte(rawSecret), r)
		if got, want := r.header.Get("webhook-id"), reqs[0].header.Get("webhook-id"); got != want {
			t.Errorf("request %d: webhook-id = %q, want %q as on the first", i+1, got, want)
		}
		if string(r.body) != string(reqs[0].body) {
			t.Errorf("request %d: body differs from the first:\n%s\n%s", i+1, r.body, reqs[0].body)
		}
	}
}

func TestWebhook_RetriesNetworkErrors(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close() // the client sees the connection drop, no response
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	if err := newWebhook(rc.URL, rawSecret).Notify(t.Context(), sampleEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if n := len(rc.requests()); n != 2 {
		t.Errorf("got %d requests, want 2", n)
	}
}

func TestWebhook_NoRetryOn4xx(t *testing.T) {
	for _, code := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			rc := newReceiver(t, statuses(code))
			err := newWebhook(rc.URL, rawSecret).Notify(t.Context(), sampleEvent())
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			if !strings.Contains(err.Error(), http.StatusText(code)) {
				t.Errorf("error %q does not name the status", err)
			}
			if n := len(rc.requests()); n != 1 {
				t.Errorf("got %d requests, want 1 (no retry)", n)
			}
		})
	}
}

func TestWebhook_GivesUpAfterAttempts(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) })
	wh := newWebhook(rc.URL, rawSecret)
	wh.Retry.Attempts = 3
	err := wh.Notify(t.Context(), sampleEvent())
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("Notify error = %v, want the 502", err)
	}
	if n := len(rc.requests()); n != 3 {
		t.Errorf("got %d requests, want 3", n)
	}
}

func TestWebhook_RetryAfter(t *testing.T) {
	t.Run("Honoured", func(t *testing.T) {
		rc := newReceiver(t, func(n int, w http.ResponseWriter) {
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		wh := newWebhook(rc.URL, rawSecret)
		wh.Retry.Max = time.Minute // the backoff alone would wait at most 1 ms
		if err := wh.Notify(t.Context(), sampleEvent()); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		reqs := rc.requests()
		if len(reqs) != 2 {
			t.Fatalf("got %d requests, want 2", len(reqs))
		}
		if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
			t.Errorf("retried after %v, want about the 1 s the receiver asked for", gap)
		}
	})
	t.Run("CappedAtMax", func(t *testing.T) {
		rc := newReceiver(t, func(n int, w http.ResponseWriter) {
			if n == 1 {
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		wh := newWebhook(rc.URL, rawSecret)
		wh.Retry.Max = 20 * time.Millisecond
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := wh.Notify(ctx, sampleEvent()); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	})
}

func TestWebhook_ContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		cancel() // the caller gives up while the first attempt fails
		w.WriteHeader(http.StatusInternalServerError)
	})
	wh := newWebhook(rc.URL, rawSecret)
	wh.Retry = igtoken.Backoff{Attempts: 5, Base: time.Hour, Max: time.Hour}
	start := time.Now()
	err := wh.Notify(ctx, sampleEvent())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Notify error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Notify took %v after cancel", d)
	}
	if n := len(rc.requests()); n != 1 {
		t.Errorf("got %d requests, want 1", n)
	}
}

func TestWebhook_WhsecSecret(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	rc := newReceiver(t, nil)
	if err := newWebhook(rc.URL, secret).Notify(t.Context(), sampleEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	r := rc.requests()[0]
	checkSigned(t, secret, key, r) // the key is the decoded bytes…
	if err := notify.Verify(secret[len("whsec_"):], r.header, r.body, time.Minute, t0); err == nil {
		t.Error("the base64 text itself verified as a raw key; want only the decoded bytes to")
	}
}

func TestWebhook_BadWhsecSecret(t *testing.T) {
	rc := newReceiver(t, nil)
	err := newWebhook(rc.URL, "whsec_not*base64!").Notify(t.Context(), sampleEvent())
	if err == nil {
		t.Fatal("Notify succeeded with a malformed whsec_ secret")
	}
	if strings.Contains(err.Error(), "not*base64") {
		t.Errorf("error quotes the secret: %v", err)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("got %d requests, want none", n)
	}
}

func TestWebhook_ErrorsHideURLPath(t *testing.T) {
	rc := newReceiver(t, statuses(http.StatusForbidden))
	wh := newWebhook(rc.URL+"/api/webhooks/123/SeCrEtPaThPaRt?token=abc", rawSecret)
	err := wh.Notify(t.Context(), sampleEvent())
	if err == nil || strings.Contains(err.Error(), "SeCrEtPaThPaRt") || strings.Contains(err.Error(), "token=abc") {
		t.Errorf("error = %v, want one without the URL path", err)
	}

	rc.Close() // now a network error, whose text would quote the URL
	wh.Retry.Attempts = 1
	err = wh.Notify(t.Context(), sampleEvent())
	if err == nil || strings.Contains(err.Error(), "SeCrEtPaThPaRt") {
		t.Errorf("error = %v, want one without the URL path", err)
	}
}

func TestWebhook_UnsignedWithoutSecret(t *testing.T) {
	rc := newReceiver(t, nil)
	if err := newWebhook(rc.URL, "").Notify(t.Context(), sampleEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	r := rc.requests()[0]
	if got := r.header.Get("webhook-signature"); got != "" {
		t.Errorf("webhook-signature = %q, want none without a secret", got)
	}
	if r.header.Get("webhook-id") == "" {
		t.Error("webhook-id missing")
	}
}

var allEventTypes = []igtoken.EventType{
	igtoken.EventConnected,
	igtoken.EventRecovered,
	igtoken.EventRefreshed,
	igtoken.EventRefreshFailed,
	igtoken.EventExpiring,
	igtoken.EventNeedsReconnect,
	igtoken.EventDeauthorized,
	igtoken.EventDeleted,
}

// TestWebhook_PayloadHasNoToken sends every event type, with every Event
// field set, and checks that nothing in the JSON but the type name mentions
// a token, and that no field beyond the documented ones exists.
func TestWebhook_PayloadHasNoToken(t *testing.T) {
	const secretValue = "IGAAJsecretTOKENvalue0123456789abcdefghij"
	rc := newReceiver(t, nil)
	wh := newWebhook(rc.URL, rawSecret)
	for _, typ := range allEventTypes {
		e := sampleEvent()
		e.Type = typ
		e.Reason = `Post "https://graph.instagram.com/refresh_access_token?access_token=` + secretValue + `": EOF; ` + secretValue
		if err := wh.Notify(t.Context(), e); err != nil {
			t.Fatalf("Notify(%s): %v", typ, err)
		}
	}
	reqs := rc.requests()
	if len(reqs) != len(allEventTypes) {
		t.Fatalf("got %d requests, want %d", len(reqs), len(allEventTypes))
	}
	wantKeys := map[string][]string{
		"":     {"data", "id", "timestamp", "type"},
		"data": {"account_id", "expires_at", "reason", "username"},
	}
	for i, r := range reqs {
		if strings.Contains(string(r.body), secretValue) {
			t.Errorf("%s: payload carries the token: %s", allEventTypes[i], r.body)
		}
		var doc map[string]any
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Fatal(err)
		}
		keys := map[string][]string{}
		walk(doc, "", func(path, key string, v any) {
			keys[path] = append(keys[path], key)
			if strings.Contains(strings.ToLower(key), "token") {
				t.Errorf("%s: field %q names a token", allEventTypes[i], key)
			}
			s, ok := v.(string)
			if ok && key != "type" && key != "reason" && strings.Contains(strings.ToLower(s), "token") {
				t.Errorf("%s: field %q = %q mentions a token", allEventTypes[i], key, s)
			}
		})
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Errorf("%s: payload fields (-want +got):\n%s", allEventTypes[i], diff)
		}
	}
}

// walk calls fn for every key of m and its nested objects, in sorted order.
func walk(m map[string]any, path string, fn func(path, key string, v any)) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fn(path, k, m[k])
		if sub, ok := m[k].(map[string]any); ok {
			walk(sub, k, fn)
		}
	}
}
