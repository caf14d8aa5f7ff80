package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
)

func testAccount(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, newAccount("1001", "alice"), 0)
		ctx := t.Context()

		if _, err := s.Account(ctx, "404"); !errors.Is(err, igtoken.ErrNotFound) {
			t.Errorf("Account(missing) error = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateToken(ctx, "404", 1, newToken("x"), igtoken.Status{}); !errors.Is(err, igtoken.ErrNotFound) {
			t.Errorf("UpdateToken(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.UpdateStatus(ctx, "404", 1, igtoken.Status{}); !errors.Is(err, igtoken.ErrNotFound) {
			t.Errorf("UpdateStatus(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAccount(ctx, "404"); !errors.Is(err, igtoken.ErrNotFound) {
			t.Errorf("DeleteAccount(missing) error = %v, want ErrNotFound", err)
		}
	})
}

func testPutAccount(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("Insert", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		a.Token.Version = 42 // ignored: the store assigns versions
		before := time.Now().Add(-time.Second)
		mustPut(t, s, a, 0)
		after := time.Now().Add(time.Second)

		if a.Token.Version == 0 || a.Token.Version == 42 {
			t.Errorf("Token.Version after insert = %d, want a store-assigned version", a.Token.Version)
		}
		for name, ts := range map[string]time.Time{"CreatedAt": a.CreatedAt, "UpdatedAt": a.UpdatedAt} {
			if ts.Before(before) || ts.After(after) {
				t.Errorf("%s = %v, want the time of the insert (%v to %v)", name, ts, before, after)
			}
		}
		if diff := cmp.Diff(a, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("stored account mismatch (-put +got):\n%s", diff)
		}
	})

	t.Run("InsertAnyVersion", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, igtoken.AnyVersion)
		if diff := cmp.Diff(a, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("stored account mismatch (-put +got):\n%s", diff)
		}
	})

	t.Run("ReplaceAnyVersion", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)

		b := newAccount("1001", "alice_renamed")
		b.AppScopedID = "as-new"
		b.Token = newToken("IGAA-new-login")
		b.Status = igtoken.Status{NeedsReconnect: false, NextRefreshAt: t0.Add(time.Hour)}
		mustPut(t, s, b, igtoken.AnyVersion)

		if b.Token.Version == a.Token.Version {
			t.Errorf("Token.Version after replace = %d, unchanged", b.Token.Version)
		}
		if !b.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("CreatedAt after replace = %v, want the original %v", b.CreatedAt, a.CreatedAt)
		}
		if b.UpdatedAt.Before(a.UpdatedAt) {
			t.Errorf("UpdatedAt after replace = %v, before the insert's %v", b.UpdatedAt, a.UpdatedAt)
		}
		if diff := cmp.Diff(b, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("stored account mismatch (-put +got):\n%s", diff)
		}
		if n := len(mustAccounts(t, s)); n != 1 {
			t.Errorf("len(Accounts()) = %d after a replace, want 1", n)
		}
	})

	t.Run("ReplaceClearsStatus", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		a.Status = igtoken.Status{NeedsReconnect: true, ReconnectReason: "code 190", LastError: "expired", Failures: 3}
		mustPut(t, s, a, 0)

		b := newAccount("1001", "alice")
		b.Status = igtoken.Status{}
		mustPut(t, s, b, igtoken.AnyVersion)
		if diff := cmp.Diff(igtoken.Status{}, mustAccount(t, s, a.ID).Status); diff != "" {
			t.Errorf("status after replace mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ExpectZeroExisting", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)

		b := newAccount("1001", "mallory")
		b.Token = newToken("IGAA-other")
		if err := s.PutAccount(t.Context(), b, 0); !errors.Is(err, igtoken.ErrConflict) {
			t.Fatalf("PutAccount(existing, 0) error = %v, want ErrConflict", err)
		}
		if diff := cmp.Diff(a, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("account changed by a refused PutAccount (-want +got):\n%s", diff)
		}
	})

	t.Run("ExpectVersionMatch", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)

		b := newAccount("1001", "alice")
		b.Token = newToken("IGAA-converted")
		mustPut(t, s, b, a.Token.Version)
		if b.Token.Version == a.Token.Version {
			t.Errorf("Token.Version = %d, unchanged by the write", b.Token.Version)
		}
		if diff := cmp.Diff(b, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("stored account mismatch (-put +got):\n%s", diff)
		}
	})

	t.Run("ExpectVersionMismatch", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)

		b := newAccount("1001", "alice")
		b.Token = newToken("IGAA-stale-writer")
		if err := s.PutAccount(t.Context(), b, a.Token.Version+1000); !errors.Is(err, igtoken.ErrConflict) {
			t.Fatalf("PutAccount(stale version) error = %v, want ErrConflict", err)
		}
		if diff := cmp.Diff(a, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("account changed by a refused PutAccount (-want +got):\n%s", diff)
		}
	})

	t.Run("ExpectVersionMissing", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		if err := s.PutAccount(t.Context(), a, 3); !errors.Is(err, igtoken.ErrConflict) {
			t.Fatalf("PutAccount(missing, 3) error = %v, want ErrConflict", err)
		}
		if _, err := s.Account(t.Context(), a.ID); !errors.Is(err, igtoken.ErrNotFound) {
			t.Errorf("Account after a refused insert: error = %v, want ErrNotFound", err)
		}
	})

	t.Run("KeepsHistory", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, newAccount("1001", "alice"), 0)
		mustAddHistory(t, s, &igtoken.HistoryEntry{AccountID: "1001", At: t0, Trigger: igtoken.TriggerLogin, Outcome: igtoken.OutcomeConnected})
		mustPut(t, s, newAccount("1001", "alice"), igtoken.AnyVersion)
		if n := len(mustHistory(t, s, "1001", 0)); n != 1 {
			t.Errorf("len(History) after a replace = %d, want 1", n)
		}
	})
}

func testUpdateToken(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)

		tok := newToken("IGAA-refreshed")
		tok.Version = 999 // ignored
		st := igtoken.Status{LastRefreshedAt: t0, NextRefreshAt: t0.Add(30 * 24 * time.Hour), RefreshCount: 5}
		v, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, tok, st)
		if err != nil {
			t.Fatalf("UpdateToken: %v", err)
		}
		if v == a.Token.Version || v == 999 {
			t.Errorf("UpdateToken version = %d, want a new store-assigned version (old %d)", v, a.Token.Version)
		}

		want := *a
		want.Token = tok
		want.Token.Version = v
		want.Status = st
		got := mustAccount(t, s, a.ID)
		if diff := cmp.Diff(&want, got, ignoreUpdatedAt); diff != "" {
			t.Errorf("account after UpdateToken mismatch (-want +got):\n%s", diff)
		}
		if got.UpdatedAt.Before(a.UpdatedAt) {
			t.Errorf("UpdatedAt = %v, before the insert's %v", got.UpdatedAt, a.UpdatedAt)
		}
	})

	t.Run("StaleVersion", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)
		v, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, newToken("IGAA-winner"), igtoken.Status{RefreshCount: 5})
		if err != nil {
			t.Fatalf("UpdateToken: %v", err)
		}
		stored := mustAccount(t, s, a.ID)

		// A second refresher read the account before the first one wrote.
		_, err = s.UpdateToken(t.Context(), a.ID, a.Token.Version, newToken("IGAA-loser"), igtoken.Status{})
		if !errors.Is(err, igtoken.ErrConflict) {
			t.Fatalf("UpdateToken(stale version) error = %v, want ErrConflict", err)
		}
		got := mustAccount(t, s, a.ID)
		if diff := cmp.Diff(stored, got); diff != "" {
			t.Errorf("account changed by a refused UpdateToken (-want +got):\n%s", diff)
		}
		if got.Token.Version != v {
			t.Errorf("Token.Version = %d, want the winner's %d", got.Token.Version, v)
		}
	})

	t.Run("AfterNewLogin", func(t *testing.T) {
		// A refresh that started before a new login must not overwrite the
		// login's token.
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)
		login := newAccount("1001", "alice")
		login.Token = newToken("IGAA-new-login")
		mustPut(t, s, login, igtoken.AnyVersion)

		_, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, newToken("IGAA-refresh-of-old"), igtoken.Status{})
		if !errors.Is(err, igtoken.ErrConflict) {
			t.Fatalf("UpdateToken(pre-login version) error = %v, want ErrConflict", err)
		}
		if diff := cmp.Diff(login, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("login's account changed (-want +got):\n%s", diff)
		}
	})
}

func testUpdateStatus(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)

		st := igtoken.Status{
			NeedsReconnect:  true,
			ReconnectReason: "Error validating access token: the user changed their password (190/460)",
			LastError:       "OAuthException 190",
			LastRefreshedAt: t0.Add(-time.Hour),
			NextRefreshAt:   t0.Add(time.Hour),
			RefreshCount:    4,
			Failures:        2,
		}
		if err := s.UpdateStatus(t.Context(), a.ID, a.Token.Version, st); err != nil {
			t.Fatalf("UpdateStatus: %v", err)
		}
		want := *a
		want.Status = st
		if diff := cmp.Diff(&want, mustAccount(t, s, a.ID), ignoreUpdatedAt); diff != "" {
			t.Errorf("account after UpdateStatus mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("StaleVersion", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)
		if _, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, newToken("IGAA-newer"), igtoken.Status{RefreshCount: 5}); err != nil {
			t.Fatalf("UpdateToken: %v", err)
		}
		stored := mustAccount(t, s, a.ID)

		// The outcome of an attempt on the old token arrives late.
		err := s.UpdateStatus(t.Context(), a.ID, a.Token.Version, igtoken.Status{NeedsReconnect: true, Failures: 9})
		if !errors.Is(err, igtoken.ErrConflict) {
			t.Fatalf("UpdateStatus(stale version) error = %v, want ErrConflict", err)
		}
		if diff := cmp.Diff(stored, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("account changed by a refused UpdateStatus (-want +got):\n%s", diff)
		}
	})
}

func testVersion(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("ChangesOnEveryTokenWrite", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)
		seen := map[int64]string{a.Token.Version: "insert"}
		record := func(v int64, by string) {
			t.Helper()
			if prev, ok := seen[v]; ok {
				t.Errorf("version %d after %s was already used after %s", v, by, prev)
			}
			seen[v] = by
		}

		b := newAccount("1001", "alice")
		mustPut(t, s, b, igtoken.AnyVersion)
		record(b.Token.Version, "replace")

		c := newAccount("1001", "alice")
		mustPut(t, s, c, b.Token.Version)
		record(c.Token.Version, "expected-version replace")

		v, err := s.UpdateToken(t.Context(), a.ID, c.Token.Version, newToken("IGAA-refreshed"), igtoken.Status{})
		if err != nil {
			t.Fatalf("UpdateToken: %v", err)
		}
		record(v, "UpdateToken")
		if got := mustAccount(t, s, a.ID).Token.Version; got != v {
			t.Errorf("stored version = %d, want %d as returned by UpdateToken", got, v)
		}

		// Status writes leave the version alone, so that the token they
		// describe can still be updated with it.
		if err := s.UpdateStatus(t.Context(), a.ID, v, igtoken.Status{Failures: 1}); err != nil {
			t.Fatalf("UpdateStatus: %v", err)
		}
		if got := mustAccount(t, s, a.ID).Token.Version; got != v {
			t.Errorf("version after UpdateStatus = %d, want it unchanged at %d", got, v)
		}
	})
}

func testRoundTrip(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("Times", func(t *testing.T) {
		s := open(t)
		tokyo := time.FixedZone("JST", 9*3600)
		a := newAccount("1001", "alice")
		a.Token.IssuedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, tokyo)
		a.Token.ExpiresAt = time.Date(2026, 3, 3, 3, 4, 5, 0, time.UTC)
		a.Status.LastRefreshedAt = time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)
		a.Status.NextRefreshAt = time.Date(2099, 2, 3, 4, 5, 6, 0, tokyo)
		mustPut(t, s, a, 0)

		got := mustAccount(t, s, a.ID)
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("account times mismatch (-put +got):\n%s", diff)
		}
		for name, ts := range map[string]time.Time{
			"Token.IssuedAt": got.Token.IssuedAt, "Token.ExpiresAt": got.Token.ExpiresAt,
			"Status.LastRefreshedAt": got.Status.LastRefreshedAt, "Status.NextRefreshAt": got.Status.NextRefreshAt,
			"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt,
		} {
			if ts.Location() != time.UTC {
				t.Errorf("%s = %v, want it in UTC", name, ts)
			}
		}
	})

	t.Run("ZeroTimes", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		a.Token = igtoken.Token{Value: "IGAA-imported", Kind: igtoken.LongLived}
		a.Status = igtoken.Status{}
		mustPut(t, s, a, 0)

		got := mustAccount(t, s, a.ID)
		for name, ts := range map[string]time.Time{
			"Token.IssuedAt": got.Token.IssuedAt, "Token.ExpiresAt": got.Token.ExpiresAt,
			"Status.LastRefreshedAt": got.Status.LastRefreshedAt, "Status.NextRefreshAt": got.Status.NextRefreshAt,
		} {
			if !ts.IsZero() {
				t.Errorf("%s = %v, want the zero time", name, ts)
			}
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("account mismatch (-put +got):\n%s", diff)
		}
	})

	t.Run("TokenValue", func(t *testing.T) {
		tests := []struct {
			name  string
			value string
		}{
			{name: "Empty", value: ""},
			// Shaped like a real token, built here so that no token-shaped
			// string sits in the source.
			{name: "Typical", value: "IGAA" + strings.Repeat("JZBc3ZCkZAZBXhZA", 5)},
			{name: "SQLish", value: `'; DROP TABLE accounts; -- "quoted" \backslash%_`},
			{name: "Unicode", value: "tøkén-日本語-🎉-\u200b-\ufeff"},
			{name: "Control", value: "a\x00b\nc\r\td\x7f"},
			{name: "InvalidUTF8", value: "\xff\xfe\xc3"},
			{name: "Long", value: strings.Repeat("0123456789abcdef", 1024)},
			{name: "Spaces", value: "  padded  "},
		}
		s := open(t)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := newAccount(string(rune('A'+i))+"-token", "u")
				a.Token.Value = tt.value
				mustPut(t, s, a, 0)
				if got := mustAccount(t, s, a.ID).Token.Value; got != tt.value {
					t.Errorf("Token.Value = %q, want %q", got, tt.value)
				}

				v, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, igtoken.Token{Value: tt.value + "!", Kind: igtoken.ShortLived}, igtoken.Status{})
				if err != nil {
					t.Fatalf("UpdateToken: %v", err)
				}
				want := igtoken.Token{Value: tt.value + "!", Kind: igtoken.ShortLived, Version: v}
				if diff := cmp.Diff(want, mustAccount(t, s, a.ID).Token); diff != "" {
					t.Errorf("token after UpdateToken mismatch (-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("Identity", func(t *testing.T) {
		s := open(t)
		a := newAccount("17841400000000001", "o'brien_ü")
		a.AppScopedID = "26011234567890123"
		a.Token.Kind = igtoken.ShortLived
		mustPut(t, s, a, 0)
		if diff := cmp.Diff(a, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("account mismatch (-put +got):\n%s", diff)
		}
	})
}

func testAccounts(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		if as := mustAccounts(t, s); len(as) != 0 {
			t.Errorf("Accounts() on an empty store = %v, want none", ids(as))
		}
	})

	t.Run("Order", func(t *testing.T) {
		s := open(t)
		for _, a := range []*igtoken.Account{
			newAccount("3", "carol"),
			newAccount("2", "alice"),
			newAccount("9", "bob"),
			newAccount("1", "alice"),
			newAccount("5", ""),
		} {
			mustPut(t, s, a, 0)
		}
		as := mustAccounts(t, s)
		if diff := cmp.Diff([]string{"5", "1", "2", "9", "3"}, ids(as)); diff != "" {
			t.Errorf("Accounts() order mismatch, want by username then id (-want +got):\n%s", diff)
		}
		for _, a := range as {
			if diff := cmp.Diff(mustAccount(t, s, a.ID), a); diff != "" {
				t.Errorf("Accounts() entry %s differs from Account (-Account +Accounts):\n%s", a.ID, diff)
			}
		}
	})
}

func testDeleteAccount(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, newAccount("1001", "alice"), 0)
		mustPut(t, s, newAccount("1002", "bob"), 0)

		if err := s.DeleteAccount(t.Context(), "1001"); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		if _, err := s.Account(t.Context(), "1001"); !errors.Is(err, igtoken.ErrNotFound) {
			t.Errorf("Account(deleted) error = %v, want ErrNotFound", err)
		}
		if diff := cmp.Diff([]string{"1002"}, ids(mustAccounts(t, s))); diff != "" {
			t.Errorf("Accounts() after delete mismatch (-want +got):\n%s", diff)
		}
		if err := s.DeleteAccount(t.Context(), "1001"); !errors.Is(err, igtoken.ErrNotFound) {
			t.Errorf("second DeleteAccount error = %v, want ErrNotFound", err)
		}
	})

	t.Run("ThenInsert", func(t *testing.T) {
		// A deleted account can connect again, as a new account.
		s := open(t)
		mustPut(t, s, newAccount("1001", "alice"), 0)
		if err := s.DeleteAccount(t.Context(), "1001"); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)
		if diff := cmp.Diff(a, mustAccount(t, s, a.ID)); diff != "" {
			t.Errorf("re-inserted account mismatch (-put +got):\n%s", diff)
		}
	})

	t.Run("VersionNotReused", func(t *testing.T) {
		// A refresh that read the account before it was removed and
		// connected again must not land on the new account's token.
		s := open(t)
		old := newAccount("1001", "alice")
		mustPut(t, s, old, 0)
		stale := old.Token.Version
		for range 3 {
			v, err := s.UpdateToken(t.Context(), old.ID, old.Token.Version, newToken("IGAA-refreshed"), igtoken.Status{})
			if err != nil {
				t.Fatalf("UpdateToken: %v", err)
			}
			old.Token.Version = v
		}
		if err := s.DeleteAccount(t.Context(), old.ID); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		a := newAccount("1001", "alice")
		mustPut(t, s, a, igtoken.AnyVersion)
		for _, prev := range []int64{stale, old.Token.Version} {
			if _, err := s.UpdateToken(t.Context(), a.ID, prev, newToken("IGAA-stale"), igtoken.Status{}); !errors.Is(err, igtoken.ErrConflict) {
				t.Errorf("UpdateToken with the deleted account's version %d: error = %v, want ErrConflict", prev, err)
			}
		}
		if got := mustAccount(t, s, a.ID); got.Token.Value != a.Token.Value {
			t.Error("a stale write replaced the new account's token")
		}
	})
}
