package notify

import (
	"context"
	"log/slog"

	"github.com/igtoken/igtoken"
)

// Log writes each event to Logger as one line, at a level that says how
// much a person should care: error when the user must reconnect, warn when a
// refresh failed or a token is expiring, info otherwise. A nil Logger
// discards.
type Log struct {
	Logger *slog.Logger
}

var _ igtoken.Notifier = Log{}

// Notify logs e, with the attributes event, account_id, username, reason
// and expires_at (empty ones left out). It never fails.
func (l Log) Notify(ctx context.Context, e igtoken.Event) error {
	level, msg := describe(e.Type)
	orDiscard(l.Logger).LogAttrs(ctx, level, msg, eventAttrs(e)...)
	return nil
}

func describe(t igtoken.EventType) (slog.Level, string) {
	switch t {
	case igtoken.EventConnected:
		return slog.LevelInfo, "account connected"
	case igtoken.EventRecovered:
		return slog.LevelInfo, "account recovered"
	case igtoken.EventRefreshed:
		return slog.LevelInfo, "token refreshed"
	case igtoken.EventRefreshFailed:
		return slog.LevelWarn, "token refresh failed"
	case igtoken.EventExpiring:
		return slog.LevelWarn, "token expiring"
	case igtoken.EventNeedsReconnect:
		return slog.LevelError, "account needs reconnect"
	case igtoken.EventDeauthorized:
		return slog.LevelError, "account deauthorized"
	case igtoken.EventDeleted:
		return slog.LevelInfo, "account deleted"
	default:
		return slog.LevelInfo, "account event"
	}
}
