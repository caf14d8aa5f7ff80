package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/graph"
)

func TestClient_PublishingLimit_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{PublishQuota: 7})
	token := emu.IssueToken("alice", true)
	u, _ := emu.User("alice")
	got, err := c.PublishingLimit(t.Context(), token, u.InstagramID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (graph.Quota{Usage: 0, Total: 7, Duration: 24 * time.Hour}); *got != want || got.Left() != 7 {
		t.Errorf("PublishingLimit() = %+v, want %+v", *got, want)
	}
}

func TestClient_PublishURL_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{ProcessingTime: -1})
	token := emu.IssueToken("alice", true)
	u, _ := emu.User("alice")
	ctx := t.Context()
	ct, err := c.CreateReelsContainer(ctx, token, u.InstagramID,
		graph.ReelsParams{VideoURL: "https://example.com/v.mp4", Caption: "hi", ShareToFeed: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.ContainerStatus(ctx, token, ct.ID)
	if err != nil || st.Code != graph.StatusFinished {
		t.Fatalf("ContainerStatus() = %+v, %v; want FINISHED", st, err)
	}
	id, err := c.Publish(ctx, token, u.InstagramID, ct.ID)
	if err != nil {
		t.Fatal(err)
	}
	pub := emu.Published("alice")
	if len(pub) != 1 || pub[0].ID != id || pub[0].Caption != "hi" || !pub[0].ShareToFeed || pub[0].MediaProductType != "REELS" {
		t.Errorf("published = %+v, want one reel %s", pub, id)
	}
	if _, err := c.Publish(ctx, token, u.InstagramID, ct.ID); err == nil || len(emu.Published("alice")) != 1 {
		t.Errorf("second Publish: err = %v, published %d; want an error and 1", err, len(emu.Published("alice")))
	}
	if st, err := c.ContainerStatus(ctx, token, ct.ID); err != nil || st.Code != graph.StatusPublished {
		t.Errorf("ContainerStatus() after Publish = %+v, %v", st, err)
	}
}

func TestClient_Upload_Emulator(t *testing.T) {
	t.Parallel()
	video := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 kB
	sum := sha256.Sum256(video)
	for _, tt := range []struct {
		name string
		drop int64 // bytes kept before the connection drops; -1 for none
	}{
		{"OK", -1},
		{"DroppedMidway", 100000},
		{"DroppedAtOnce", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, c := mustOpenEmulator(t, emulator.Config{ProcessingTime: -1})
			token := emu.IssueToken("alice", true)
			ctx := t.Context()
			ct, err := c.CreateReelsContainer(ctx, token, "", graph.ReelsParams{Resumable: true})
			if err != nil {
				t.Fatal(err)
			}
			if ct.URI == "" {
				t.Fatal("resumable container without an upload URI")
			}
			if tt.drop >= 0 {
				emu.FailNextUpload(tt.drop)
			}
			var last int64
			err = c.Upload(ctx, token, ct.URI, bytes.NewReader(video), int64(len(video)), func(n int64) { last = n })
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			if last != int64(len(video)) {
				t.Errorf("last progress = %d, want %d", last, len(video))
			}
			wantCalls := 1
			if tt.drop >= 0 {
				wantCalls = 3 // the dropped POST, GET offset, the resumed POST
			}
			if n := emu.Calls(emulator.EndpointRupload); n != wantCalls {
				t.Errorf("rupload calls = %d, want %d", n, wantCalls)
			}
			id, err := c.Publish(ctx, token, "", ct.ID)
			if err != nil {
				t.Fatal(err)
			}
			pub := emu.Published("alice")
			if len(pub) != 1 || pub[0].ID != id || pub[0].Size != int64(len(video)) || pub[0].SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("published = %+v, want the whole video once", pub)
			}
		})
	}
}

func TestClient_Upload_BadToken_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{})
	token := emu.IssueToken("alice", true)
	ct, err := c.CreateReelsContainer(t.Context(), token, "", graph.ReelsParams{Resumable: true})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Upload(t.Context(), "not-a-token-at-all", ct.URI, strings.NewReader("abc"), 3, nil)
	if !graph.NeedsReconnect(err) {
		t.Errorf("Upload with a bad token: err = %v, want a token error", err)
	}
	if n := emu.Calls(emulator.EndpointRupload); n != 1 {
		t.Errorf("rupload calls = %d, want 1: token errors are not retried", n)
	}
}
