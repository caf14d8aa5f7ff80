package igtoken

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// LoginResult is what Login stored.
type LoginResult struct {
	Account *Account
	// Reconnected is true when the account existed and needed a reconnect.
	Reconnected bool
	// ConvertErr is set when the long-lived exchange failed: the short-lived
	// token was stored anyway, and a convert run can finish the job.
	ConvertErr error
}

// Login finishes an OAuth login: it exchanges the code (the bare code,
// "CODE#_", or the whole redirect URL) for a short-lived token, learns the
// account's identity from /me, exchanges the token at once for a long-lived
// one, and stores the account. If the code exchange or /me fails, nothing
// is stored.
func (m *Manager) Login(ctx context.Context, codeOrURL string) (*LoginResult, error) {
	code, err := graph.ParseCode(codeOrURL)
	if err != nil {
		return nil, err
	}
	var short *graph.ShortLivedToken
	err = m.Retry.do(ctx, func() (err error) {
		short, err = m.graph.ExchangeCode(ctx, code)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("exchange authorization code: %w", err)
	}
	issued := m.now()
	user, err := m.me(ctx, short.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("look up the account: %w", err)
	}
	tok := Token{Value: short.AccessToken, Kind: ShortLived, IssuedAt: issued, ExpiresAt: issued.Add(ShortLivedTTL)}
	long, convErr := m.exchange(ctx, tok.Value)
	if convErr == nil {
		tok = long
	}
	a := &Account{ID: user.UserID, AppScopedID: firstNonEmpty(user.ID, short.UserID), Username: user.Username, Token: tok}
	res, err := m.storeLogin(ctx, a)
	if err != nil {
		return nil, err
	}
	res.ConvertErr = convErr
	if convErr != nil {
		m.logger().Warn("long-lived exchange failed; stored the short-lived token", "account_id", a.ID, "err", convErr)
	}
	return res, nil
}

func (m *Manager) me(ctx context.Context, token string) (*graph.User, error) {
	var user *graph.User
	err := m.Retry.do(ctx, func() (err error) {
		user, err = m.graph.Me(ctx, token)
		return err
	})
	if err != nil {
		return nil, err
	}
	if user.UserID == "" {
		// Without fields=user_id, /me answers only the app-scoped id (§1.6).
		return nil, fmt.Errorf("/me returned no user_id: %w", graph.ErrMalformedResponse)
	}
	return user, nil
}

// exchange turns a short-lived token into a long-lived one (§1.4). The
// expiry comes from the response, never from a constant.
func (m *Manager) exchange(ctx context.Context, short string) (Token, error) {
	var long *graph.LongLivedToken
	err := m.Retry.do(ctx, func() (err error) {
		long, err = m.graph.ExchangeLongLived(ctx, short)
		return err
	})
	if err != nil {
		return Token{}, err
	}
	now := m.now()
	m.logger().Info(fmt.Sprintf("Successfully converted to long-lived token, expires in %d seconds", int64(long.ExpiresIn.Seconds())),
		"fingerprint", Fingerprint(long.AccessToken))
	return Token{Value: long.AccessToken, Kind: LongLived, IssuedAt: now, ExpiresAt: now.Add(long.ExpiresIn)}, nil
}

// storeLogin writes a freshly logged-in account over whatever was stored:
// a new login always wins, and makes a needs-reconnect account usable again.
func (m *Manager) storeLogin(ctx context.Context, a *Account) (*LoginResult, error) {
	prev, err := m.store.Account(ctx, a.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("read account %s: %w", a.ID, err)
	}
	res := &LoginResult{Account: a}
	if prev != nil {
		res.Reconnected = prev.Status.NeedsReconnect
		a.Status.RefreshCount = prev.Status.RefreshCount
		a.Status.LastRefreshedAt = prev.Status.LastRefreshedAt
	}
	a.Status.NextRefreshAt = m.nextRefresh(a.ID, a.Token, m.now())
	if err := m.store.PutAccount(ctx, a, AnyVersion); err != nil {
		return nil, fmt.Errorf("store account %s: %w", a.ID, err)
	}
	var oldExpiry time.Time
	if prev != nil {
		oldExpiry = prev.Token.ExpiresAt
	}
	m.record(ctx, &HistoryEntry{AccountID: a.ID, Trigger: TriggerLogin, Outcome: OutcomeConnected,
		OldExpiresAt: oldExpiry, NewExpiresAt: a.Token.ExpiresAt, Fingerprint: a.Token.Fingerprint()})
	event := EventConnected
	if res.Reconnected {
		event = EventRecovered
	}
	m.notify(ctx, Event{Type: event, AccountID: a.ID, Username: a.Username, ExpiresAt: a.Token.ExpiresAt})
	return res, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
