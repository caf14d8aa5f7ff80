package igtoken

import (
	"context"
	"fmt"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// Token returns account id's stored token if it can be used now. It returns
// an error wrapping ErrReauthRequired when the user must reconnect, and
// ErrTokenExpired when the token has expired.
//
// A token handed out within ExpiringWithin of its expiry (the daemon's
// refreshes have been failing) or a short-lived one is refreshed or
// converted first, under the account's lease. If that fails, the still
// valid token is handed out anyway: the failure is recorded and the daemon
// tries again.
func (m *Manager) Token(ctx context.Context, id string) (Token, error) {
	a, err := m.store.Account(ctx, id)
	if err != nil {
		return Token{}, err
	}
	tok, err := usable(a, m.now())
	if err != nil || m.policy().StateOf(a, m.now()) != StateExpiring {
		return tok, err
	}
	p := m.policy()
	p.Window = ExpiringWithin
	res := m.attempt(ctx, id, func(a *Account, now time.Time) Decision {
		return p.DecideRefresh(a, now, false)
	}, RunOptions{Trigger: TriggerUse})
	if res.Outcome != ResultRefreshed && res.Outcome != ResultConverted {
		return tok, nil
	}
	a, err = m.store.Account(ctx, id)
	if err != nil {
		return tok, nil
	}
	return usable(a, m.now())
}

func usable(a *Account, now time.Time) (Token, error) {
	switch {
	case a.Status.NeedsReconnect:
		return Token{}, fmt.Errorf("account %s: %s: %w", a.Label(), a.Status.ReconnectReason, ErrReauthRequired)
	case a.Token.Value == "":
		return Token{}, fmt.Errorf("account %s has no token: %w", a.Label(), ErrReauthRequired)
	case a.Token.Expired(now):
		return Token{}, fmt.Errorf("account %s: token expired at %s: %w", a.Label(), stamp(a.Token.ExpiresAt), ErrTokenExpired)
	}
	return a.Token, nil
}

// Validate checks account id's token with a live /me call. If Meta says the
// token can no longer be used (§3.3), the account is marked needs_reconnect
// and the error wraps ErrReauthRequired.
func (m *Manager) Validate(ctx context.Context, id string) (*graph.User, error) {
	a, err := m.store.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	tok, err := usable(a, m.now())
	if err != nil {
		return nil, err
	}
	user, err := m.me(ctx, tok.Value)
	if err == nil {
		return user, nil
	}
	if !graph.NeedsReconnect(err) {
		return nil, fmt.Errorf("validate %s: %w", a.Label(), err)
	}
	m.fail(ctx, a, TriggerCLI, err, Result{})
	return nil, fmt.Errorf("validate %s: %s: %w", a.Label(), graph.ReconnectReason(err), ErrReauthRequired)
}
