// Package storetest is the conformance suite every igtoken.Store must pass.
//
// A Store implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(tb testing.TB) igtoken.Store {
//			s, err := mystore.Open(...)
//			if err != nil {
//				tb.Fatal(err)
//			}
//			tb.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite checks only what the igtoken.Store documentation promises, plus
// the few things it leaves implicit and callers rely on; Run's documentation
// lists those. It uses times truncated to the second, the precision every
// Store must keep.
package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/igtoken/igtoken"
)

// t0 is the suite's "now" for leases and schedules. Stores never read it
// from a clock: callers pass it in.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs the conformance suite as subtests of t. Each subtest calls open
// for a fresh, empty store; open must arrange (with tb.Cleanup) for the
// store to be closed. Subtests run one after another, so open may reset a
// shared database.
//
// Beyond the igtoken.Store documentation, the suite expects that:
//   - stored times keep at least whole seconds and come back in UTC; zero
//     times stay zero;
//   - PutAccount fills CreatedAt and UpdatedAt with the values a later read
//     returns; a replace keeps CreatedAt; PutAccount with a positive
//     expectVersion on a missing account returns ErrConflict;
//   - UpdateStatus does not change the token version;
//   - a lease is live while now is before its until: at until it has
//     expired;
//   - ClaimDue counts a zero NextRefreshAt as due, and as the soonest;
//   - a replace and UpdateToken keep the history.
func Run(t *testing.T, open func(t testing.TB) igtoken.Store) {
	t.Run("Account", func(t *testing.T) { testAccount(t, open) })
	t.Run("PutAccount", func(t *testing.T) { testPutAccount(t, open) })
	t.Run("UpdateToken", func(t *testing.T) { testUpdateToken(t, open) })
	t.Run("UpdateStatus", func(t *testing.T) { testUpdateStatus(t, open) })
	t.Run("Version", func(t *testing.T) { testVersion(t, open) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
	t.Run("DeleteAccount", func(t *testing.T) { testDeleteAccount(t, open) })
	t.Run("History", func(t *testing.T) { testHistory(t, open) })
	t.Run("Lease", func(t *testing.T) { testLease(t, open) })
	t.Run("ClaimDue", func(t *testing.T) { testClaimDue(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("Ping", func(t *testing.T) {
		s := open(t)
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping() = %v", err)
		}
	})
}

// newAccount returns an account with every field set, ready to store.
func newAccount(id, username string) *igtoken.Account {
	return &igtoken.Account{
		ID:          id,
		AppScopedID: "as-" + id,
		Username:    username,
		Token: igtoken.Token{
			Value:     "IGAA" + id + "TokenValue-v1",
			Kind:      igtoken.LongLived,
			IssuedAt:  t0.Add(-10 * 24 * time.Hour),
			ExpiresAt: t0.Add(50 * 24 * time.Hour),
		},
		Status: igtoken.Status{
			LastRefreshedAt: t0.Add(-10 * 24 * time.Hour),
			NextRefreshAt:   t0.Add(20 * 24 * time.Hour),
			RefreshCount:    4,
		},
	}
}

// newToken returns a token different from newAccount's.
func newToken(value string) igtoken.Token {
	return igtoken.Token{
		Value:     value,
		Kind:      igtoken.LongLived,
		IssuedAt:  t0,
		ExpiresAt: t0.Add(60 * 24 * time.Hour),
	}
}

// mustPut stores a with PutAccount(a, expectVersion) and fails on error.
func mustPut(tb testing.TB, s igtoken.Store, a *igtoken.Account, expectVersion int64) {
	tb.Helper()
	if err := s.PutAccount(tb.Context(), a, expectVersion); err != nil {
		tb.Fatalf("PutAccount(%s, %d): %v", a.ID, expectVersion, err)
	}
}

// mustAccount reads the account id and fails on error.
func mustAccount(tb testing.TB, s igtoken.Store, id string) *igtoken.Account {
	tb.Helper()
	a, err := s.Account(tb.Context(), id)
	if err != nil {
		tb.Fatalf("Account(%s): %v", id, err)
	}
	return a
}

// mustAccounts reads every account and fails on error.
func mustAccounts(tb testing.TB, s igtoken.Store) []*igtoken.Account {
	tb.Helper()
	as, err := s.Accounts(tb.Context())
	if err != nil {
		tb.Fatalf("Accounts: %v", err)
	}
	return as
}

// mustHistory reads the history and fails on error.
func mustHistory(tb testing.TB, s igtoken.Store, id string, limit int) []igtoken.HistoryEntry {
	tb.Helper()
	h, err := s.History(tb.Context(), id, limit)
	if err != nil {
		tb.Fatalf("History(%q, %d): %v", id, limit, err)
	}
	return h
}

// mustAddHistory appends h and fails on error.
func mustAddHistory(tb testing.TB, s igtoken.Store, h *igtoken.HistoryEntry) {
	tb.Helper()
	if err := s.AddHistory(tb.Context(), h); err != nil {
		tb.Fatalf("AddHistory(%s): %v", h.AccountID, err)
	}
}

// mustAcquire gives owner the lease on id and fails on error.
func mustAcquire(tb testing.TB, s igtoken.Store, id, owner string, now, until time.Time) {
	tb.Helper()
	if err := s.AcquireLease(tb.Context(), id, owner, now, until); err != nil {
		tb.Fatalf("AcquireLease(%s, %s): %v", id, owner, err)
	}
}

// mustClaim runs ClaimDue and fails on error.
func mustClaim(tb testing.TB, s igtoken.Store, owner string, now, until time.Time, limit int) []*igtoken.Account {
	tb.Helper()
	as, err := s.ClaimDue(tb.Context(), owner, now, until, limit)
	if err != nil {
		tb.Fatalf("ClaimDue(%s, %v, %d): %v", owner, now, limit, err)
	}
	return as
}

// ids returns the ids of as, in order.
func ids(as []*igtoken.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// ignoreUpdatedAt compares accounts whose UpdatedAt the store chose.
var ignoreUpdatedAt = cmpopts.IgnoreFields(igtoken.Account{}, "UpdatedAt")
