// Package notify provides Notifier implementations: Webhook (signed JSON
// POSTs in the Standard Webhooks format), Log (one slog line per event), Multi
// (fan-out), Dedup (suppresses repeats) and Async (delivery off the caller's
// path). Verify checks a webhook signature for receivers.
//
// No notifier here ever sees a token: igtoken.Event has no field for one, and
// the payload types keep it that way.
package notify

import (
	"log/slog"
	"regexp"
	"time"

	"github.com/igtoken/igtoken"
)

// tokenLike matches what an Instagram or Facebook access token looks like,
// alone or as a query parameter. An event's Reason is free text taken from an
// error; package graph already redacts tokens from its errors, and this is a
// second line of defence so that no delivery or log line can carry one.
var tokenLike = regexp.MustCompile(`((?i:access_token)=)[^&\s"']+|\b(?:IG[A-Z]{2}|EAA)[A-Za-z0-9_\-]{20,}`)

func scrub(s string) string { return tokenLike.ReplaceAllString(s, "${1}[redacted]") }

// eventAttrs are the attributes every log line about e carries; empty fields
// are left out.
func eventAttrs(e igtoken.Event) []slog.Attr {
	attrs := []slog.Attr{
		slog.String("event", string(e.Type)),
		slog.String("account_id", e.AccountID),
	}
	if e.Username != "" {
		attrs = append(attrs, slog.String("username", e.Username))
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", scrub(e.Reason)))
	}
	if !e.ExpiresAt.IsZero() {
		attrs = append(attrs, slog.Time("expires_at", e.ExpiresAt.UTC()))
	}
	return attrs
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

func orNow(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return time.Now
}
