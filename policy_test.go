package igtoken_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func longLived(issuedAgo, expiresIn time.Duration) igtoken.Token {
	return igtoken.Token{Value: "v", Kind: igtoken.LongLived, IssuedAt: t0.Add(-issuedAgo), ExpiresAt: t0.Add(expiresIn)}
}

func TestPolicy_DecideRefresh(t *testing.T) {
	p := igtoken.DefaultPolicy()
	tests := []struct {
		name       string
		token      igtoken.Token
		status     igtoken.Status
		force      bool
		want       igtoken.Action
		wantReason string
	}{
		{name: "FreshOutsideWindow", token: longLived(2*day, 58*day), want: igtoken.ActionSkip, wantReason: "refresh due from"},
		{name: "InsideWindow", token: longLived(40*day, 20*day), want: igtoken.ActionRefresh, wantReason: "inside the 30.0 days refresh window"},
		{name: "JustInsideWindow", token: longLived(31*day, 30*day-time.Second), want: igtoken.ActionRefresh},
		{name: "AtWindowEdge", token: longLived(30*day, 30*day), want: igtoken.ActionSkip},
		{name: "ForceOutsideWindow", token: longLived(2*day, 58*day), force: true, want: igtoken.ActionRefresh, wantReason: "forced"},
		{name: "TooYoung", token: longLived(23*time.Hour, 10*day), want: igtoken.ActionSkip, wantReason: "23 h old; Instagram refreshes only tokens at least 24 h old"},
		{name: "TooYoungEvenForced", token: longLived(time.Hour, 59*day), force: true, want: igtoken.ActionSkip, wantReason: "at least"},
		{name: "ExactlyOneDayOld", token: longLived(day, 10*day), want: igtoken.ActionRefresh},
		{name: "Expired", token: longLived(61*day, -day), want: igtoken.ActionSkip, wantReason: "expired"},
		{name: "ExpiredEvenForced", token: longLived(61*day, -time.Second), force: true, want: igtoken.ActionSkip, wantReason: "expired"},
		{name: "ExpiresNow", token: longLived(60*day, 0), want: igtoken.ActionSkip, wantReason: "expired"},
		{name: "NeedsReconnect", token: longLived(40*day, 20*day), status: igtoken.Status{NeedsReconnect: true, ReconnectReason: "password changed"}, want: igtoken.ActionSkip, wantReason: "password changed"},
		{name: "NoToken", token: igtoken.Token{}, want: igtoken.ActionSkip, wantReason: "no token"},
		{name: "ShortLivedIsConverted", token: igtoken.Token{Value: "v", Kind: igtoken.ShortLived, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}, want: igtoken.ActionConvert},
		{name: "UnknownExpiryUnknownAge", token: igtoken.Token{Value: "v", Kind: igtoken.LongLived}, want: igtoken.ActionRefresh, wantReason: "expiry unknown"},
		{name: "UnknownExpiryYoung", token: igtoken.Token{Value: "v", Kind: igtoken.LongLived, IssuedAt: t0.Add(-time.Hour)}, want: igtoken.ActionSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &igtoken.Account{ID: "1", Token: tt.token, Status: tt.status}
			got := p.DecideRefresh(a, t0, tt.force)
			if got.Action != tt.want {
				t.Errorf("DecideRefresh(force=%v) = %s (%s), want %s", tt.force, got.Action, got.Reason, tt.want)
			}
			if got.Reason == "" || !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("reason %q does not contain %q", got.Reason, tt.wantReason)
			}
		})
	}
}

func TestPolicy_DecideRefresh_Window(t *testing.T) {
	p := igtoken.Policy{Window: 3 * day}
	a := &igtoken.Account{Token: longLived(50*day, 5*day)}
	if got := p.DecideRefresh(a, t0, false); got.Action != igtoken.ActionSkip {
		t.Errorf("5 days left with a 3-day window: got %s, want skip", got.Action)
	}
	a.Token = longLived(58*day, 2*day)
	if got := p.DecideRefresh(a, t0, false); got.Action != igtoken.ActionRefresh {
		t.Errorf("2 days left with a 3-day window: got %s, want refresh", got.Action)
	}
}

func TestPolicy_DecideConvert(t *testing.T) {
	p := igtoken.DefaultPolicy()
	short := igtoken.Token{Value: "v", Kind: igtoken.ShortLived, IssuedAt: t0.Add(-10 * time.Minute), ExpiresAt: t0.Add(50 * time.Minute)}
	expiredShort := short
	expiredShort.ExpiresAt = t0.Add(-time.Minute)
	tests := []struct {
		name  string
		token igtoken.Token
		force bool
		want  igtoken.Action
	}{
		{"ShortLived", short, false, igtoken.ActionConvert},
		{"LongLived", longLived(2*day, 58*day), false, igtoken.ActionSkip},
		{"LongLivedForced", longLived(2*day, 58*day), true, igtoken.ActionConvert},
		{"ExpiredShortLived", expiredShort, true, igtoken.ActionSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.DecideConvert(&igtoken.Account{Token: tt.token}, t0, tt.force)
			if got.Action != tt.want {
				t.Errorf("DecideConvert(force=%v) = %s (%s), want %s", tt.force, got.Action, got.Reason, tt.want)
			}
		})
	}
}

func TestPolicy_NextRefresh(t *testing.T) {
	p := igtoken.DefaultPolicy()
	tests := []struct {
		name  string
		token igtoken.Token
		want  time.Time
	}{
		{"WindowStart", longLived(0, 60*day), t0.Add(30 * day)},
		{"NotBeforeMinAge", longLived(0, 20*day), t0.Add(day)},
		{"ShortLivedNow", igtoken.Token{Kind: igtoken.ShortLived, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}, t0},
		{"UnknownExpiry", igtoken.Token{Kind: igtoken.LongLived}, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.NextRefresh(tt.token, t0); !got.Equal(tt.want) {
				t.Errorf("NextRefresh = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPolicy_StateOf(t *testing.T) {
	p := igtoken.DefaultPolicy()
	tests := []struct {
		name    string
		account igtoken.Account
		want    igtoken.State
	}{
		{"OK", igtoken.Account{Token: longLived(day, 59*day)}, igtoken.StateOK},
		{"InsideWindowStillOK", igtoken.Account{Token: longLived(50*day, 10*day)}, igtoken.StateOK},
		{"Expiring", igtoken.Account{Token: longLived(54*day, 6*day)}, igtoken.StateExpiring},
		{"Expired", igtoken.Account{Token: longLived(61*day, -day)}, igtoken.StateExpired},
		{"NeedsReconnect", igtoken.Account{Token: longLived(day, 59*day), Status: igtoken.Status{NeedsReconnect: true}}, igtoken.StateNeedsReconnect},
		{"Unknown", igtoken.Account{Token: igtoken.Token{Value: "v", Kind: igtoken.LongLived}}, igtoken.StateUnknown},
		{"ShortLived", igtoken.Account{Token: igtoken.Token{Value: "v", Kind: igtoken.ShortLived, ExpiresAt: t0.Add(time.Hour)}}, igtoken.StateExpiring},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.StateOf(&tt.account, t0); got != tt.want {
				t.Errorf("StateOf = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tok := longLived(40*day, 20*day)
	tests := []struct {
		failures int
		token    igtoken.Token
		want     time.Duration
	}{
		{1, tok, 15 * time.Minute},
		{2, tok, 30 * time.Minute},
		{7, tok, 12 * time.Hour},
		{50, tok, 12 * time.Hour},
		{5, longLived(59*day, 2*time.Hour), time.Hour},
	}
	for _, tt := range tests {
		if got := igtoken.RetryAfter(tt.failures, tt.token, t0); got != tt.want {
			t.Errorf("RetryAfter(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestToken_NeverPrintsValue(t *testing.T) {
	tok := igtoken.Token{Value: "IGAAsecretvalue", Kind: igtoken.LongLived}
	for _, s := range []string{tok.String(), tok.GoString(), tok.LogValue().String()} {
		if strings.Contains(s, "secret") {
			t.Errorf("token value leaked in %q", s)
		}
	}
	if fp := tok.Fingerprint(); len(fp) != 8 {
		t.Errorf("Fingerprint() = %q, want 8 hex chars", fp)
	}
}

func TestPolicy_Spread(t *testing.T) {
	p := igtoken.DefaultPolicy()
	tok := longLived(0, 60*day)
	next := p.NextRefresh(tok, t0)
	seen := map[time.Time]bool{}
	for i := range 50 {
		id := strconv.Itoa(17841400000000000 + i)
		got := p.Spread(id, tok, next, t0)
		if got.Before(next) || got.After(next.Add(5*day)) {
			t.Errorf("Spread(%s) = %v, want within 5 days after %v", id, got, next)
		}
		if again := p.Spread(id, tok, next, t0); !again.Equal(got) {
			t.Errorf("Spread(%s) is not stable: %v then %v", id, got, again)
		}
		seen[got] = true
	}
	if len(seen) < 40 {
		t.Errorf("50 accounts spread over only %d times", len(seen))
	}
	if got := p.Spread("1", tok, t0, t0); !got.Equal(t0) {
		t.Errorf("a due account was delayed to %v", got)
	}
}
