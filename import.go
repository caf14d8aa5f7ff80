package igtoken

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ActionImport is the action of an import result.
const ActionImport Action = "import"

// Import brings tokens in. It checks every item first — required fields,
// expiry, duplicates, and the identity of items that lack one (a live /me
// call) — and writes nothing unless all pass. A stored token that expires
// later than the imported one is kept.
func (m *Manager) Import(ctx context.Context, items []ImportItem) (*Report, error) {
	accounts, err := m.checkImport(ctx, items)
	if err != nil {
		return nil, err
	}
	rep := &Report{Started: m.now()}
	for _, a := range accounts {
		rep.Results = append(rep.Results, m.importOne(ctx, a))
	}
	rep.Finished = m.now()
	return rep, nil
}

func (m *Manager) checkImport(ctx context.Context, items []ImportItem) ([]*Account, error) {
	if len(items) == 0 {
		return nil, errors.New("nothing to import")
	}
	now := m.now()
	seen := map[string]string{}
	var accounts []*Account
	var errs []error
	for _, it := range items {
		a, err := m.importAccount(ctx, it)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", it.Entry, err))
		case a.Token.Expired(now):
			errs = append(errs, fmt.Errorf("%s: the token expired at %s; connect the account instead", it.Entry, stamp(a.Token.ExpiresAt)))
		case seen[a.ID] != "":
			errs = append(errs, fmt.Errorf("%s: account %s is also in %s", it.Entry, a.ID, seen[a.ID]))
		default:
			seen[a.ID] = it.Entry
			accounts = append(accounts, a)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("import refused, nothing was stored: %w", errors.Join(errs...))
	}
	return accounts, nil
}

// importAccount turns an item into an account, asking /me for a missing
// identity.
func (m *Manager) importAccount(ctx context.Context, it ImportItem) (*Account, error) {
	if it.AccessToken == "" || !it.Kind.Valid() {
		return nil, errors.New("access_token and a valid kind are required")
	}
	a := &Account{ID: it.AccountID, Username: it.Username,
		Token: Token{Value: it.AccessToken, Kind: it.Kind, IssuedAt: it.IssuedAt, ExpiresAt: it.ExpiresAt}}
	if a.ID == "" || a.Username == "" {
		user, err := m.me(ctx, it.AccessToken)
		if err != nil {
			return nil, fmt.Errorf("look up the token's account: %w", err)
		}
		if a.ID != "" && a.ID != user.UserID {
			return nil, fmt.Errorf("account_id %s does not match the token's account %s", a.ID, user.UserID)
		}
		a.ID, a.AppScopedID = user.UserID, user.ID
		a.Username = firstNonEmpty(a.Username, user.Username)
	}
	return a, nil
}

func (m *Manager) importOne(ctx context.Context, a *Account) Result {
	res := Result{AccountID: a.ID, Username: a.Username, Action: ActionImport, NewExpiresAt: timePtr(a.Token.ExpiresAt)}
	prev, err := m.store.Account(ctx, a.ID)
	expect := int64(0)
	switch {
	case err == nil:
		expect = prev.Token.Version
		res.OldExpiresAt = timePtr(prev.Token.ExpiresAt)
		if keepStored(prev, a) {
			res.Outcome, res.Reason = ResultSkipped, "kept the stored token, which expires later"
			return res
		}
		a.AppScopedID = firstNonEmpty(a.AppScopedID, prev.AppScopedID)
		a.Status.RefreshCount = prev.Status.RefreshCount
	case !errors.Is(err, ErrNotFound):
		res.Outcome, res.Error, res.Err = ResultFailed, err.Error(), err
		return res
	}
	a.Status.NextRefreshAt = m.nextRefresh(a.ID, a.Token, m.now())
	if err := m.store.PutAccount(ctx, a, expect); err != nil {
		return m.lost(a, err, res)
	}
	m.record(ctx, &HistoryEntry{AccountID: a.ID, Trigger: TriggerImport, Outcome: OutcomeImported,
		OldExpiresAt: derefTime(res.OldExpiresAt), NewExpiresAt: a.Token.ExpiresAt, Fingerprint: a.Token.Fingerprint()})
	res.Outcome, res.Reason = string(OutcomeImported), "stored"
	return res
}

// keepStored reports whether the stored account's token is better than the
// imported one: usable and known to expire later.
func keepStored(prev, imported *Account) bool {
	if prev.Status.NeedsReconnect || prev.Token.Value == "" {
		return false
	}
	if prev.Token.Value == imported.Token.Value {
		return imported.Token.ExpiresAt.IsZero() || !imported.Token.ExpiresAt.After(prev.Token.ExpiresAt)
	}
	return !prev.Token.ExpiresAt.IsZero() &&
		(imported.Token.ExpiresAt.IsZero() || prev.Token.ExpiresAt.After(imported.Token.ExpiresAt))
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
