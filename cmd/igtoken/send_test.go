package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken/emulator"
)

func TestSend(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.connect("alice")
		e.emu.OpenWindow("alice", "900001")
		r := e.ok("send", "--account", "alice", "--to", "900001", "--text", "hello")
		msgs := e.emu.Messages("alice")
		if len(msgs) != 1 || msgs[0].Text != "hello" || strings.TrimSpace(r.stdout) != msgs[0].ID {
			t.Errorf("stdout %q, emulator messages %+v; want one message and its id", r.stdout, msgs)
		}
		e.fail(2, "send", "--account", "alice", "--to", "900001")
	})

	t.Run("OutsideWindow", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.connect("alice")
		r := e.fail(1, "send", "--account", "alice", "--to", "900002", "--text", "hello")
		contains(t, "send", r.stderr, "outside the 24-hour messaging window", "not a token problem")
		if strings.Contains(r.stderr, "auth-url") || r.stdout != "" {
			t.Errorf("send outside the window:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
		}
		if n := e.emu.Calls(emulator.EndpointMessages); n != 1 {
			t.Errorf("messages calls = %d, want 1", n)
		}
		if row := e.statusOf("alice"); row.State != "ok" {
			t.Errorf("alice = %+v, want ok", row)
		}
	})

	t.Run("StaleTokenRecovered", func(t *testing.T) {
		t.Parallel()
		e := newEnvWith(t, emulator.Config{RefreshRotates: true, OldTokenValidAfterRotate: new(false)})
		e.connect("alice")
		e.emu.Advance(25 * time.Hour) // old enough to refresh (§1.5)
		stale := strings.TrimSpace(e.ok("token").stdout)
		e.emu.OpenWindow("alice", "900001")
		// Instagram calls the token stale; igtoken refreshes it and sends again.
		e.emu.FailNext(emulator.EndpointMessages, 1, emulator.Fault{Code: 190, Subcode: 463})
		r := e.ok("send", "--to", "900001", "--text", "hello")
		msgs := e.emu.Messages("alice")
		if len(msgs) != 1 || strings.TrimSpace(r.stdout) != msgs[0].ID {
			t.Errorf("stdout %q, emulator messages %+v; want exactly one message", r.stdout, msgs)
		}
		if n := e.emu.Calls(emulator.EndpointMessages); n != 2 {
			t.Errorf("messages calls = %d, want 2 (one retry)", n)
		}
		fresh := strings.TrimSpace(e.ok("token").stdout)
		if fresh == stale || e.emu.TokenValid(stale) || !e.emu.TokenValid(fresh) {
			t.Error("the stored token was not rotated")
		}
	})

	t.Run("RotatedElsewhere", func(t *testing.T) {
		t.Parallel()
		// Someone refreshed the stored token and lost the new one: only a
		// new login helps, and nothing is sent.
		e := newEnvWith(t, emulator.Config{RefreshRotates: true, OldTokenValidAfterRotate: new(false)})
		e.connect("alice")
		e.emu.Advance(25 * time.Hour)
		stale := strings.TrimSpace(e.ok("token").stdout)
		refreshDirectly(t, e.url, stale)
		e.emu.OpenWindow("alice", "900001")
		r := e.fail(1, "send", "--to", "900001", "--text", "hello")
		contains(t, "send", r.stderr, "auth-url")
		if n, sent := e.emu.Calls(emulator.EndpointMessages), len(e.emu.Messages("alice")); n != 1 || sent != 0 {
			t.Errorf("messages calls = %d, sent = %d; want 1, 0", n, sent)
		}
		if row := e.statusOf("alice"); row.State != "needs_reconnect" {
			t.Errorf("alice = %+v, want needs_reconnect", row)
		}
	})

	t.Run("Revoked", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.connect("alice")
		e.emu.OpenWindow("alice", "900001")
		e.emu.Revoke("alice", 460)
		r := e.fail(1, "send", "--to", "900001", "--text", "hello")
		contains(t, "send", r.stderr, "auth-url")
		if n, sent := e.emu.Calls(emulator.EndpointMessages), len(e.emu.Messages("alice")); n != 1 || sent != 0 {
			t.Errorf("messages calls = %d, sent = %d; want 1, 0", n, sent)
		}
		if row := e.statusOf("alice"); row.State != "needs_reconnect" {
			t.Errorf("alice = %+v, want needs_reconnect", row)
		}
	})
}

// refreshDirectly refreshes token at the emulator, bypassing igtoken.
func refreshDirectly(t *testing.T, base, token string) {
	t.Helper()
	q := url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {token}}
	resp, err := http.Get(base + "/refresh_access_token?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == token {
		t.Fatalf("refresh: status %d, err %v; want a new token", resp.StatusCode, err)
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()

	t.Run("URL", func(t *testing.T) {
		t.Parallel()
		e := newEnvWith(t, emulator.Config{ProcessingTime: time.Second})
		e.connect("alice")
		r := e.ok("publish", "--video", "https://example.com/v.mp4", "--caption", "hi", "--share-to-feed", "--wait")
		pub := e.emu.Published("alice")
		if len(pub) != 1 || strings.TrimSpace(r.stdout) != pub[0].ID || pub[0].Caption != "hi" || !pub[0].ShareToFeed {
			t.Errorf("stdout %q, published %+v; want one reel and its id", r.stdout, pub)
		}
		if n := e.emu.Calls(emulator.EndpointMediaPublish); n != 1 {
			t.Errorf("media_publish calls = %d, want 1", n)
		}
		e.fail(2, "publish")
	})

	t.Run("FileResumed", func(t *testing.T) {
		t.Parallel()
		e := newEnvWith(t, emulator.Config{ProcessingTime: -1})
		e.connect("alice")
		video := strings.Repeat("0123456789abcdef", 20000)
		path := filepath.Join(t.TempDir(), "v.mp4")
		writeFile(t, path, video)
		e.emu.FailNextUpload(100000)
		r := e.ok("publish", "--video", path)
		pub := e.emu.Published("alice")
		if len(pub) != 1 || strings.TrimSpace(r.stdout) != pub[0].ID || pub[0].Size != int64(len(video)) {
			t.Errorf("stdout %q, published %+v; want the whole video once", r.stdout, pub)
		}
		if n := e.emu.Calls(emulator.EndpointRupload); n != 3 {
			t.Errorf("rupload calls = %d, want 3 (dropped, offset, resumed)", n)
		}
	})

	t.Run("QuotaUsedUp", func(t *testing.T) {
		t.Parallel()
		e := newEnvWith(t, emulator.Config{PublishQuota: 1, ProcessingTime: -1})
		e.connect("alice")
		e.ok("publish", "--video", "https://example.com/v.mp4")
		containers := e.emu.Calls(emulator.EndpointMedia)
		path := filepath.Join(t.TempDir(), "v.mp4")
		writeFile(t, path, "video bytes")
		r := e.fail(1, "publish", "--video", path)
		contains(t, "publish", r.stderr, "quota is used up", "1 of 1", "nothing was uploaded")
		if n := e.emu.Calls(emulator.EndpointRupload); n != 0 {
			t.Errorf("rupload calls = %d, want 0", n)
		}
		if n := e.emu.Calls(emulator.EndpointMedia); n != containers {
			t.Errorf("media calls = %d, want %d: no container after the refusal", n, containers)
		}
		if n := len(e.emu.Published("alice")); n != 1 {
			t.Errorf("published %d, want 1", n)
		}
	})
}
