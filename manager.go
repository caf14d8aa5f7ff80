package igtoken

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// Manager keeps the tokens in a Store valid: it logs accounts in, refreshes
// and converts tokens, hands out usable ones, and decides when an account
// must reconnect. It is safe for concurrent use once configured.
type Manager struct {
	Notifier Notifier         // optional; nil means no notifications
	Logger   *slog.Logger     // optional; nil means discard
	Now      func() time.Time // optional; defaults to time.Now
	Policy   Policy           // zero fields take DefaultPolicy values
	// Concurrency bounds the refreshes in flight in one run (default 8).
	Concurrency int
	// Retry governs the retries of transient failures inside one attempt.
	Retry Backoff
	// Owner names this process in refresh leases.
	Owner string
	// Lease is how long an account's refresh lease lasts (default 5 min);
	// it must outlast an attempt with all its retries.
	Lease time.Duration

	store Store
	graph *graph.Client
	pacer pacer // Meta's usage figures, to slow down before throttling
}

// NewManager returns a Manager over store and client with default settings.
func NewManager(store Store, client *graph.Client) *Manager {
	host, _ := os.Hostname()
	return &Manager{
		Policy:      DefaultPolicy(),
		Concurrency: 8,
		Retry:       DefaultBackoff(),
		Owner:       fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomString(4)),
		Lease:       5 * time.Minute,
		store:       store,
		graph:       client,
	}
}

// Store returns the store the Manager works on.
func (m *Manager) Store() Store { return m.store }

// Graph returns the Instagram client the Manager uses.
func (m *Manager) Graph() *graph.Client { return m.graph }

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *Manager) logger() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (m *Manager) policy() Policy { return m.Policy.withDefaults() }

// nextRefresh is when the refresher should next look at account id's tok.
func (m *Manager) nextRefresh(id string, tok Token, now time.Time) time.Time {
	p := m.policy()
	return p.Spread(id, tok, p.NextRefresh(tok, now), now)
}

// notify delivers e; a failing notifier is logged, never fatal.
func (m *Manager) notify(ctx context.Context, e Event) {
	if e.At.IsZero() {
		e.At = m.now()
	}
	m.logger().Debug("event", "event", string(e.Type), "account_id", e.AccountID, "reason", e.Reason)
	if m.Notifier == nil {
		return
	}
	if err := m.Notifier.Notify(ctx, e); err != nil {
		m.logger().Warn("notify failed", "event", string(e.Type), "account_id", e.AccountID, "err", err)
	}
}

// record appends a history entry; a failure to record is logged, because the
// token operation it describes has already happened.
func (m *Manager) record(ctx context.Context, h *HistoryEntry) {
	if h.At.IsZero() {
		h.At = m.now()
	}
	if err := m.store.AddHistory(ctx, h); err != nil {
		m.logger().Error("record history", "account_id", h.AccountID, "err", err)
	}
}

// NewState returns a random, URL-safe OAuth state value.
func NewState() string { return randomString(24) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthURL returns the Instagram authorization URL for state and scopes.
func (m *Manager) AuthURL(state string, scopes []string) string {
	return m.graph.AuthCodeURL(state, scopes)
}

// Accounts returns every stored account.
func (m *Manager) Accounts(ctx context.Context) ([]*Account, error) {
	return m.store.Accounts(ctx)
}

// Resolve finds an account by Instagram id or username. An empty ref means
// the only stored account.
func (m *Manager) Resolve(ctx context.Context, ref string) (*Account, error) {
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "@")
	if ref != "" {
		a, err := m.store.Account(ctx, ref)
		if !errors.Is(err, ErrNotFound) {
			return a, err
		}
	}
	all, err := m.store.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	if ref == "" {
		switch len(all) {
		case 0:
			return nil, fmt.Errorf("no accounts stored (connect one with auth-url and authenticate): %w", ErrNotFound)
		case 1:
			return all[0], nil
		}
		return nil, ErrAccountRequired
	}
	for _, a := range all {
		if strings.EqualFold(a.Username, ref) {
			return a, nil
		}
	}
	return nil, fmt.Errorf("account %q: %w", ref, ErrNotFound)
}

// History returns up to limit history entries of account id ("" for all).
func (m *Manager) History(ctx context.Context, id string, limit int) ([]HistoryEntry, error) {
	return m.store.History(ctx, id, limit)
}

// Remove forgets an account, its token and its history.
func (m *Manager) Remove(ctx context.Context, id string) error {
	a, err := m.store.Account(ctx, id)
	if err != nil {
		return err
	}
	if err := m.store.DeleteAccount(ctx, id); err != nil {
		return fmt.Errorf("remove account %s: %w", id, err)
	}
	m.notify(ctx, Event{Type: EventDeleted, AccountID: a.ID, Username: a.Username})
	return nil
}
