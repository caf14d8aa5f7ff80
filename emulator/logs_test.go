package emulator_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igtoken/igtoken/emulator"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServer_LogsNoTokens(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := mustStart(t, emulator.Config{Logger: logger})
	short := mustLogin(t, e, "alice")
	var long longLivedResp
	mustDecode(t, e.get(t, "/access_token", exchangeQuery(short)), http.StatusOK, &long)
	e.emu.Advance(25 * time.Hour)
	mustDecode(t, e.get(t, "/refresh_access_token", refreshQuery(long.AccessToken)), http.StatusOK, &longLivedResp{})
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Code: 190, Subcode: 460})
	e.get(t, "/me", url.Values{"access_token": {long.AccessToken}})
	e.emu.Revoke("alice", 460)
	e.get(t, "/me", url.Values{"access_token": {long.AccessToken}})

	out := logs.String()
	if !strings.Contains(out, "endpoint=me") {
		t.Errorf("logs do not name the endpoint:\n%s", out)
	}
	if strings.Contains(out, "IGAA") || strings.Contains(out, short) {
		t.Errorf("logs contain a token:\n%s", out)
	}
}
