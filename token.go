package igtoken

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"
)

// TokenKind tells a one-hour token from a 60-day one.
type TokenKind string

const (
	// ShortLived tokens come from the code exchange and live one hour (§1.3).
	ShortLived TokenKind = "short-lived"
	// LongLived tokens live 60 days and can be refreshed (§1.4, §1.5).
	LongLived TokenKind = "long-lived"
)

// Valid reports whether k is one of the known kinds.
func (k TokenKind) Valid() bool { return k == ShortLived || k == LongLived }

// Token is an Instagram access token and what is known about its life.
//
// Token deliberately implements fmt.Stringer, fmt.GoStringer and
// slog.LogValuer so that printing or logging a Token by mistake shows its
// fingerprint, never its value.
type Token struct {
	Value string `json:"-"`
	Kind  TokenKind
	// IssuedAt is when Meta issued this token or last extended it. Zero
	// means unknown (an imported token).
	IssuedAt time.Time
	// ExpiresAt is when the token stops working. Zero means unknown.
	ExpiresAt time.Time
	// Version is assigned by the Store and changes on every token write;
	// token writes are compare-and-swap on it.
	Version int64
}

// Fingerprint returns the first 8 hex characters of the SHA-256 of value:
// enough to tell tokens apart in logs and history, useless to an attacker.
func Fingerprint(value string) string {
	if value == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:4])
}

// Fingerprint returns the token's fingerprint.
func (t Token) Fingerprint() string { return Fingerprint(t.Value) }

// String returns a description without the token value.
func (t Token) String() string {
	return "token(" + string(t.Kind) + " " + t.Fingerprint() + ")"
}

// GoString keeps %#v from printing the value.
func (t Token) GoString() string { return t.String() }

// LogValue keeps the value out of structured logs.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", string(t.Kind)),
		slog.String("fingerprint", t.Fingerprint()),
		slog.Time("expires_at", t.ExpiresAt),
	)
}

// Expired reports whether the token is known to have expired at now.
func (t Token) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// Age returns how long ago the token was issued, or -1 if that is unknown.
func (t Token) Age(now time.Time) time.Duration {
	if t.IssuedAt.IsZero() {
		return -1
	}
	return now.Sub(t.IssuedAt)
}
