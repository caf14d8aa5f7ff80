package notify_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/notify"
)

func TestLog(t *testing.T) {
	tests := []struct {
		typ   igtoken.EventType
		level string
		msg   string
	}{
		{igtoken.EventConnected, "INFO", "account connected"},
		{igtoken.EventRecovered, "INFO", "account recovered"},
		{igtoken.EventRefreshed, "INFO", "token refreshed"},
		{igtoken.EventRefreshFailed, "WARN", "token refresh failed"},
		{igtoken.EventExpiring, "WARN", "token expiring"},
		{igtoken.EventNeedsReconnect, "ERROR", "account needs reconnect"},
		{igtoken.EventDeauthorized, "ERROR", "account deauthorized"},
		{igtoken.EventDeleted, "INFO", "account deleted"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			var buf bytes.Buffer
			l := notify.Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
			e := sampleEvent()
			e.Type = tt.typ
			if err := l.Notify(t.Context(), e); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if n := strings.Count(buf.String(), "\n"); n != 1 {
				t.Fatalf("got %d lines, want 1:\n%s", n, buf.String())
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			delete(got, "time")
			want := map[string]any{
				"level":      tt.level,
				"msg":        tt.msg,
				"event":      string(tt.typ),
				"account_id": "17841400000000001",
				"username":   "shop.example",
				"reason":     e.Reason,
				"expires_at": "2026-03-11T12:00:00Z",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("log line (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLog_OmitsEmptyFields(t *testing.T) {
	var buf bytes.Buffer
	l := notify.Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := l.Notify(t.Context(), igtoken.Event{Type: igtoken.EventDeleted, AccountID: "7"}); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"username=", "reason=", "expires_at="} {
		if strings.Contains(buf.String(), absent) {
			t.Errorf("log line has empty %s:\n%s", absent, buf.String())
		}
	}
}

func TestLog_NilLogger(t *testing.T) {
	if err := (notify.Log{}).Notify(t.Context(), sampleEvent()); err != nil {
		t.Errorf("Notify = %v, want nil", err)
	}
}

// TestLog_NoToken builds events the way the Manager does, from an account
// holding a token, with a failure reason that quotes the token (as a raw
// net/http error would), and checks the token never reaches the log.
func TestLog_NoToken(t *testing.T) {
	a := igtoken.Account{
		ID:       "17841400000000001",
		Username: "shop.example",
		Token: igtoken.Token{
			Value:     "IGAAJsecretTOKENvalue0123456789abcdefghij",
			Kind:      igtoken.LongLived,
			ExpiresAt: t0.Add(50 * 24 * time.Hour),
		},
	}
	cause := `Get "https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=` +
		a.Token.Value + `": dial tcp: i/o timeout`
	var buf bytes.Buffer
	l := notify.Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	for _, typ := range allEventTypes {
		e := igtoken.Event{Type: typ, AccountID: a.ID, Username: a.Username, At: t0, ExpiresAt: a.Token.ExpiresAt, Reason: cause}
		if err := l.Notify(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(buf.String(), a.Token.Value) {
		t.Errorf("log carries the token:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "access_token=[redacted]") {
		t.Errorf("want the token redacted in place:\n%s", buf.String())
	}
}
