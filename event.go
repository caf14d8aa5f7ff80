package igtoken

import (
	"context"
	"time"
)

// EventType names what happened to an account.
type EventType string

// Event types, as delivered to webhooks.
const (
	EventConnected      EventType = "account.connected"
	EventRecovered      EventType = "account.recovered"
	EventRefreshed      EventType = "token.refreshed"
	EventRefreshFailed  EventType = "token.refresh_failed"
	EventExpiring       EventType = "token.expiring"
	EventNeedsReconnect EventType = "account.needs_reconnect"
	EventDeauthorized   EventType = "account.deauthorized"
	EventDeleted        EventType = "account.deleted"
)

// Event tells a Notifier about an account. It never carries a token value.
type Event struct {
	Type      EventType `json:"type"`
	AccountID string    `json:"account_id"`
	Username  string    `json:"username,omitempty"`
	At        time.Time `json:"at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Reason    string    `json:"reason,omitempty"`
}

// Notifier is told about events. Notify should return quickly; failures are
// logged by the caller, never fatal.
type Notifier interface {
	Notify(ctx context.Context, e Event) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, e Event) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, e Event) error { return f(ctx, e) }
