package igtoken

import (
	"context"
	"fmt"
)

// AccountByAppScopedID finds the account Meta's callbacks name by its
// app-scoped user id (§7.1).
func (m *Manager) AccountByAppScopedID(ctx context.Context, appScopedID string) (*Account, error) {
	all, err := m.store.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if appScopedID != "" && a.AppScopedID == appScopedID {
			return a, nil
		}
	}
	return nil, fmt.Errorf("app-scoped user %s: %w", appScopedID, ErrNotFound)
}

// Deauthorize handles Meta's deauthorize callback (§7.3): the user removed
// the app, so the token is deleted and the account waits for a reconnect.
func (m *Manager) Deauthorize(ctx context.Context, appScopedID string) (*Account, error) {
	a, err := m.AccountByAppScopedID(ctx, appScopedID)
	if err != nil {
		return nil, err
	}
	const reason = "the user removed the app on Instagram"
	st := a.Status
	st.NeedsReconnect, st.ReconnectReason, st.NextRefreshAt = true, reason, m.now()
	if _, err := m.store.UpdateToken(ctx, a.ID, a.Token.Version, Token{}, st); err != nil {
		return nil, fmt.Errorf("deauthorize %s: %w", a.ID, err)
	}
	m.record(ctx, &HistoryEntry{AccountID: a.ID, Trigger: TriggerServe, Outcome: OutcomeNeedsReconnect,
		Error: reason, OldExpiresAt: a.Token.ExpiresAt, Fingerprint: a.Token.Fingerprint()})
	m.notify(ctx, Event{Type: EventDeauthorized, AccountID: a.ID, Username: a.Username, Reason: reason})
	return a, nil
}

// DeleteData handles Meta's data-deletion callback (§7.2): everything
// stored about the user goes.
func (m *Manager) DeleteData(ctx context.Context, appScopedID string) (*Account, error) {
	a, err := m.AccountByAppScopedID(ctx, appScopedID)
	if err != nil {
		return nil, err
	}
	return a, m.Remove(ctx, a.ID)
}
