package igtoken

import (
	"fmt"
	"hash/fnv"
	"time"
)

// Default policy values.
const (
	// DefaultWindow: refresh when fewer than 30 days remain (DESIGN.md).
	DefaultWindow = 30 * 24 * time.Hour
	// MinRefreshAge: Meta refreshes only tokens at least 24 hours old (§1.5).
	MinRefreshAge = 24 * time.Hour
	// ShortLivedTTL is the life of a token from the code exchange (§1.3).
	ShortLivedTTL = time.Hour
	// ExpiringWithin: a token this close to expiry is "expiring" and worth
	// a warning, whatever the refresh window (the watchdog's threshold).
	ExpiringWithin = 7 * 24 * time.Hour
)

// Policy holds the refresh rules. Its methods are pure: they take the time
// as an argument and touch nothing.
type Policy struct {
	// Window: refresh a long-lived token when less than this remains.
	Window time.Duration
	// MinAge: never ask Meta to refresh a token younger than this.
	MinAge time.Duration
}

// DefaultPolicy returns the policy DESIGN.md describes.
func DefaultPolicy() Policy { return Policy{Window: DefaultWindow, MinAge: MinRefreshAge} }

func (p Policy) withDefaults() Policy {
	if p.Window <= 0 {
		p.Window = DefaultWindow
	}
	if p.MinAge <= 0 {
		p.MinAge = MinRefreshAge
	}
	return p
}

// Action is what a run decided to do with an account.
type Action string

const (
	ActionRefresh Action = "refresh"
	ActionConvert Action = "convert"
	ActionSkip    Action = "skip"
)

// Decision is an Action and the reason for it, in words.
type Decision struct {
	Action Action
	Reason string
}

func skip(format string, args ...any) Decision {
	return Decision{ActionSkip, fmt.Sprintf(format, args...)}
}

// unusable returns a skip decision when no call can help the account.
func unusable(a *Account, now time.Time) (Decision, bool) {
	switch {
	case a.Status.NeedsReconnect:
		return skip("needs reconnect: %s", a.Status.ReconnectReason), true
	case a.Token.Value == "":
		return skip("no token stored"), true
	case a.Token.Expired(now):
		return skip("token expired at %s; the user must reconnect", stamp(a.Token.ExpiresAt)), true
	}
	return Decision{}, false
}

// DecideRefresh decides whether a refresh run should refresh the account's
// token. force ignores the window but never the rules Meta enforces: a
// token is refreshed only if it is unexpired and at least MinAge old (§1.5).
// A short-lived token is converted instead, since it dies within the hour.
func (p Policy) DecideRefresh(a *Account, now time.Time, force bool) Decision {
	p = p.withDefaults()
	if d, ok := unusable(a, now); ok {
		return d
	}
	tok := a.Token
	if tok.Kind == ShortLived {
		return Decision{ActionConvert, "short-lived token: exchange it for a long-lived one"}
	}
	if age := tok.Age(now); age >= 0 && age < p.MinAge {
		return skip("token is %s old; Instagram refreshes only tokens at least %s old (possible from %s)",
			human(age), human(p.MinAge), stamp(tok.IssuedAt.Add(p.MinAge)))
	}
	if tok.ExpiresAt.IsZero() {
		return Decision{ActionRefresh, "expiry unknown: refresh to learn it"}
	}
	left := tok.ExpiresAt.Sub(now)
	if force {
		return Decision{ActionRefresh, fmt.Sprintf("forced; %s left", days(left))}
	}
	if left < p.Window {
		return Decision{ActionRefresh, fmt.Sprintf("%s left, inside the %s refresh window", days(left), days(p.Window))}
	}
	return skip("%s left; refresh due from %s", days(left), stamp(tok.ExpiresAt.Add(-p.Window)))
}

// DecideConvert decides whether a convert run should exchange the account's
// token for a long-lived one (§1.4). force converts long-lived tokens too.
func (p Policy) DecideConvert(a *Account, now time.Time, force bool) Decision {
	if d, ok := unusable(a, now); ok {
		return d
	}
	switch {
	case a.Token.Kind == ShortLived:
		return Decision{ActionConvert, "short-lived token"}
	case force:
		return Decision{ActionConvert, "forced; the token is already long-lived"}
	}
	return skip("already long-lived")
}

// NextRefresh returns when the refresher should next look at tok: when it
// enters the window, but never before Meta allows a refresh.
func (p Policy) NextRefresh(tok Token, now time.Time) time.Time {
	p = p.withDefaults()
	if tok.Kind == ShortLived {
		return now
	}
	next := now
	if !tok.ExpiresAt.IsZero() {
		next = tok.ExpiresAt.Add(-p.Window)
	}
	if !tok.IssuedAt.IsZero() && next.Before(tok.IssuedAt.Add(p.MinAge)) {
		next = tok.IssuedAt.Add(p.MinAge)
	}
	return next
}

// Spread delays next, a NextRefresh result, by up to a sixth of the window,
// so that tokens issued together do not all come due together. The delay is
// derived from the account id and the expiry, so it is stable across runs
// and processes. A time at or before now is left alone: a token already
// inside its window is due now.
func (p Policy) Spread(id string, tok Token, next, now time.Time) time.Time {
	p = p.withDefaults()
	if !next.After(now) || tok.ExpiresAt.IsZero() {
		return next
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", id, tok.ExpiresAt.Unix())
	spread := time.Duration(h.Sum64() % uint64(p.Window/6))
	if latest := tok.ExpiresAt.Add(-p.Window / 2); next.Add(spread).After(latest) {
		return next
	}
	return next.Add(spread).Truncate(time.Second)
}

// StateOf reports the state status shows for a at now.
func (p Policy) StateOf(a *Account, now time.Time) State {
	switch {
	case a.Status.NeedsReconnect:
		return StateNeedsReconnect
	case a.Token.Value == "" || a.Token.ExpiresAt.IsZero():
		return StateUnknown
	case a.Token.Expired(now):
		return StateExpired
	case a.Token.Kind == ShortLived, a.Token.ExpiresAt.Sub(now) < ExpiringWithin:
		return StateExpiring
	}
	return StateOK
}

// RetryAfter returns how long to wait before the next attempt after
// failures consecutive transient failures: 15 min doubling to 12 h, and
// never so late that the token expires first.
func RetryAfter(failures int, tok Token, now time.Time) time.Duration {
	wait := 15 * time.Minute
	for i := 1; i < failures && wait < 12*time.Hour; i++ {
		wait *= 2
	}
	wait = min(wait, 12*time.Hour)
	if !tok.ExpiresAt.IsZero() {
		if left := tok.ExpiresAt.Sub(now) / 2; left < wait {
			wait = max(left, time.Minute)
		}
	}
	return wait
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func days(d time.Duration) string {
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// human writes d for people: "40 s", "12 min", "23 h 5 min".
func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d%time.Hour < time.Minute:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int((d % time.Hour).Minutes()))
}
