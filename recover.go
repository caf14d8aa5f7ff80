package igtoken

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// Recover is the one path every Graph call takes after Meta rejected token
// stale with error 190 (cause). It re-reads the stored token, since another
// process may have refreshed or reconnected the account, and returns it if
// it changed. Otherwise, under the account's lease, it refreshes the token
// if Meta allows (long-lived, unexpired, at least 24 h old) or converts a
// short-lived one. When no way works it marks the account needs_reconnect,
// notifies once, and returns an error wrapping ErrReauthRequired.
//
// Recover never loops: a caller retries its call at most once, with the
// token Recover returns.
func (m *Manager) Recover(ctx context.Context, id, stale string, cause error) (Token, error) {
	log := m.logger().With("account_id", id, "fingerprint", Fingerprint(stale))
	log.Warn("Instagram access token expired, attempting refresh...", "err", cause)
	if tok, ok, err := m.changedToken(ctx, id, stale); ok || err != nil {
		return tok, err
	}
	release, err := m.awaitLease(ctx, id)
	if err != nil {
		return Token{}, err
	}
	defer release()
	a, err := m.store.Account(ctx, id)
	if err != nil {
		return Token{}, err
	}
	if a.Token.Value != stale {
		return usable(a, m.now())
	}
	d := m.policy().DecideRefresh(a, m.now(), true)
	if d.Action == ActionSkip {
		log.Error("All token refresh methods failed", "reason", d.Reason)
		m.fail(ctx, a, Trigger190, cause, Result{})
		return Token{}, fmt.Errorf("account %s: %s: %w", a.Label(), d.Reason, ErrReauthRequired)
	}
	res := m.renew(ctx, a, d.Action, Trigger190, Result{})
	switch res.Outcome {
	case ResultRefreshed, ResultConverted, ResultConflict:
		return m.Token(ctx, id)
	case ResultNeedsReconnect:
		return Token{}, fmt.Errorf("account %s: %w: %w", a.Label(), ErrReauthRequired, res.Err)
	}
	return Token{}, fmt.Errorf("recover the token of account %s: %w", a.Label(), res.Err)
}

// changedToken returns the stored token if it is no longer stale.
func (m *Manager) changedToken(ctx context.Context, id, stale string) (Token, bool, error) {
	a, err := m.store.Account(ctx, id)
	if err != nil {
		return Token{}, false, err
	}
	if a.Token.Value == stale {
		return Token{}, false, nil
	}
	tok, err := usable(a, m.now())
	return tok, true, err
}

// awaitLease takes the account's lease, waiting a little while another
// process holds it (it is probably refreshing the same token).
func (m *Manager) awaitLease(ctx context.Context, id string) (func(), error) {
	wait := 50 * time.Millisecond
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := m.store.AcquireLease(ctx, id, m.Owner, m.now(), m.now().Add(m.lease()))
		if err == nil {
			return func() { m.release(ctx, id) }, nil
		}
		if !errors.Is(err, ErrLeased) || time.Now().After(deadline) {
			return nil, fmt.Errorf("lease account %s: %w", id, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait = min(2*wait, time.Second)
	}
}

// Do runs call with account id's usable token, slowing down first when
// Meta's usage figures near the limit (§4). If call fails with a Graph
// error 190 it recovers the token (Recover) and runs call once more with
// the new one: never more, so a message or a post is never sent twice
// because of a token problem. Every Graph call igtoken makes for an
// account goes through Do or HTTPClient.
func (m *Manager) Do(ctx context.Context, id string, call func(ctx context.Context, token string) error) error {
	tok, err := m.Token(ctx, id)
	if err != nil {
		return err
	}
	if err = m.paced(ctx, id, call, tok.Value); graph.Code(err) != 190 {
		return err
	}
	fresh, rerr := m.Recover(ctx, id, tok.Value, err)
	if rerr != nil {
		return rerr
	}
	return m.paced(ctx, id, call, fresh.Value)
}

// paced makes one call, waiting first if Meta's usage figures are near the
// limit, and records the figures its answer carried (§4).
func (m *Manager) paced(ctx context.Context, id string, call func(ctx context.Context, token string) error, token string) error {
	if err := m.pace(ctx, id); err != nil {
		return err
	}
	err := call(ctx, token)
	u, ok := m.graph.LastUsage()
	m.pacer.observe(id, u, ok, err, time.Now())
	return err
}
