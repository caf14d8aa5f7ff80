package igtoken

import (
	"context"
	"fmt"
	"math"
	"time"
)

// AccountStatus is one row of `igtoken status --json`; its JSON field names
// are a contract (DESIGN.md).
type AccountStatus struct {
	AccountID       string     `json:"account_id"`
	Username        string     `json:"username"`
	TokenKind       TokenKind  `json:"token_kind"`
	State           State      `json:"state"`
	ExpiresAt       *time.Time `json:"expires_at"`
	IssuedAt        *time.Time `json:"issued_at"`
	LastRefreshedAt *time.Time `json:"last_refreshed_at"`
	NextRefreshAt   *time.Time `json:"next_refresh_at"`
	DaysLeft        *float64   `json:"days_left"`
	RefreshCount    int        `json:"refresh_count"`
	LastError       *string    `json:"last_error"`
	ReconnectReason string     `json:"reconnect_reason,omitempty"`
}

// StatusOf describes a at now.
func (p Policy) StatusOf(a *Account, now time.Time) AccountStatus {
	s := AccountStatus{
		AccountID:       a.ID,
		Username:        a.Username,
		TokenKind:       a.Token.Kind,
		State:           p.StateOf(a, now),
		ExpiresAt:       timePtr(a.Token.ExpiresAt),
		IssuedAt:        timePtr(a.Token.IssuedAt),
		LastRefreshedAt: timePtr(a.Status.LastRefreshedAt),
		RefreshCount:    a.Status.RefreshCount,
		ReconnectReason: a.Status.ReconnectReason,
	}
	if s.State != StateNeedsReconnect && s.State != StateExpired && a.Token.Value != "" {
		s.NextRefreshAt = timePtr(a.Status.NextRefreshAt)
		if s.NextRefreshAt == nil {
			s.NextRefreshAt = timePtr(now)
		}
	}
	if !a.Token.ExpiresAt.IsZero() {
		d := math.Max(0, math.Floor(a.Token.ExpiresAt.Sub(now).Hours()/24*10)/10)
		s.DaysLeft = &d
	}
	if a.Status.LastError != "" {
		e := a.Status.LastError
		s.LastError = &e
	}
	return s
}

// Statuses describes the given accounts, or every account.
func (m *Manager) Statuses(ctx context.Context, ids ...string) ([]AccountStatus, error) {
	var accounts []*Account
	if len(ids) == 0 {
		all, err := m.store.Accounts(ctx)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		accounts = all
	}
	for _, id := range ids {
		a, err := m.store.Account(ctx, id)
		if err != nil {
			return nil, err
		}
		accounts = append(accounts, a)
	}
	now, p := m.now(), m.policy()
	out := make([]AccountStatus, len(accounts))
	for i, a := range accounts {
		out[i] = p.StatusOf(a, now)
	}
	return out, nil
}
