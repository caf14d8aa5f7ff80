package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
)

func testHistory(t *testing.T, open func(testing.TB) igtoken.Store) {
	// seed stores two accounts and five entries, oldest first: a1, b1, a2,
	// a3, b2.
	seed := func(tb testing.TB, s igtoken.Store) []igtoken.HistoryEntry {
		tb.Helper()
		mustPut(tb, s, newAccount("a", "alice"), 0)
		mustPut(tb, s, newAccount("b", "bob"), 0)
		entries := []igtoken.HistoryEntry{
			{AccountID: "a", At: t0, Trigger: igtoken.TriggerLogin, Outcome: igtoken.OutcomeConnected,
				NewExpiresAt: t0.Add(60 * 24 * time.Hour), Fingerprint: "aaaa0001"},
			{AccountID: "b", At: t0.Add(time.Minute), Trigger: igtoken.TriggerImport, Outcome: igtoken.OutcomeImported,
				Fingerprint: "bbbb0001"},
			{AccountID: "a", At: t0.Add(2 * time.Minute), Trigger: igtoken.TriggerCron, Outcome: igtoken.OutcomeFailed,
				GraphCode: 2, Error: "Service temporarily unavailable", OldExpiresAt: t0.Add(60 * 24 * time.Hour)},
			{AccountID: "a", At: t0.Add(3 * time.Minute), Trigger: igtoken.Trigger190, Outcome: igtoken.OutcomeNeedsReconnect,
				GraphCode: 190, GraphSubcode: 460, Error: "password changed", Fingerprint: "aaaa0001"},
			{AccountID: "b", At: t0.Add(4 * time.Minute), Trigger: igtoken.TriggerServe, Outcome: igtoken.OutcomeRefreshed,
				OldExpiresAt: t0, NewExpiresAt: t0.Add(60 * 24 * time.Hour), Fingerprint: "bbbb0002"},
		}
		for i := range entries {
			mustAddHistory(tb, s, &entries[i])
		}
		return entries
	}
	// pick returns the entries at idx, in that order.
	pick := func(entries []igtoken.HistoryEntry, idx ...int) []igtoken.HistoryEntry {
		out := make([]igtoken.HistoryEntry, len(idx))
		for i, j := range idx {
			out[i] = entries[j]
		}
		return out
	}

	t.Run("AddFillsID", func(t *testing.T) {
		s := open(t)
		entries := seed(t, s)
		seen := map[int64]bool{}
		for _, e := range entries {
			if e.ID == 0 || seen[e.ID] {
				t.Errorf("AddHistory set ID %d, want a distinct non-zero id", e.ID)
			}
			seen[e.ID] = true
		}
	})

	t.Run("AddFillsAt", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, newAccount("a", "alice"), 0)
		before := time.Now().Add(-time.Second)
		h := &igtoken.HistoryEntry{AccountID: "a", Trigger: igtoken.TriggerCLI, Outcome: igtoken.OutcomeRefreshed}
		mustAddHistory(t, s, h)
		after := time.Now().Add(time.Second)
		if h.At.Before(before) || h.At.After(after) {
			t.Errorf("AddHistory set At = %v, want the time of the call (%v to %v)", h.At, before, after)
		}
		got := mustHistory(t, s, "a", 0)
		if diff := cmp.Diff([]igtoken.HistoryEntry{*h}, got); diff != "" {
			t.Errorf("History mismatch (-added +got):\n%s", diff)
		}
	})

	t.Run("PerAccount", func(t *testing.T) {
		s := open(t)
		entries := seed(t, s)
		if diff := cmp.Diff(pick(entries, 3, 2, 0), mustHistory(t, s, "a", 0)); diff != "" {
			t.Errorf("History(a) mismatch, want newest first (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(pick(entries, 4, 1), mustHistory(t, s, "b", -1)); diff != "" {
			t.Errorf("History(b) mismatch, want newest first (-want +got):\n%s", diff)
		}
		if got := mustHistory(t, s, "nobody", 0); len(got) != 0 {
			t.Errorf("History(unknown account) = %v, want none", got)
		}
	})

	t.Run("All", func(t *testing.T) {
		s := open(t)
		entries := seed(t, s)
		if diff := cmp.Diff(pick(entries, 4, 3, 2, 1, 0), mustHistory(t, s, "", 0)); diff != "" {
			t.Errorf("History(all) mismatch, want newest first (-want +got):\n%s", diff)
		}
	})

	t.Run("Limit", func(t *testing.T) {
		s := open(t)
		entries := seed(t, s)
		if diff := cmp.Diff(pick(entries, 4, 3), mustHistory(t, s, "", 2)); diff != "" {
			t.Errorf("History(all, 2) mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(pick(entries, 3), mustHistory(t, s, "a", 1)); diff != "" {
			t.Errorf("History(a, 1) mismatch (-want +got):\n%s", diff)
		}
		if n := len(mustHistory(t, s, "a", 100)); n != 3 {
			t.Errorf("len(History(a, 100)) = %d, want 3", n)
		}
	})

	t.Run("SameSecond", func(t *testing.T) {
		// Entries added within one second still come back newest first.
		s := open(t)
		mustPut(t, s, newAccount("a", "alice"), 0)
		var want []igtoken.HistoryEntry
		for _, o := range []igtoken.Outcome{igtoken.OutcomeFailed, igtoken.OutcomeFailed, igtoken.OutcomeRefreshed} {
			h := igtoken.HistoryEntry{AccountID: "a", At: t0, Trigger: igtoken.TriggerCron, Outcome: o}
			mustAddHistory(t, s, &h)
			want = append([]igtoken.HistoryEntry{h}, want...)
		}
		if diff := cmp.Diff(want, mustHistory(t, s, "a", 0)); diff != "" {
			t.Errorf("History mismatch, want the last added first (-want +got):\n%s", diff)
		}
	})

	t.Run("DeleteCascades", func(t *testing.T) {
		s := open(t)
		entries := seed(t, s)
		if err := s.DeleteAccount(t.Context(), "a"); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		if got := mustHistory(t, s, "a", 0); len(got) != 0 {
			t.Errorf("History(deleted account) has %d entries, want none", len(got))
		}
		if diff := cmp.Diff(pick(entries, 4, 1), mustHistory(t, s, "", 0)); diff != "" {
			t.Errorf("History(all) after delete mismatch (-want +got):\n%s", diff)
		}

		// A new account with the same id starts with no history.
		mustPut(t, s, newAccount("a", "alice"), 0)
		if got := mustHistory(t, s, "a", 0); len(got) != 0 {
			t.Errorf("History(re-added account) has %d entries, want none", len(got))
		}
	})

	t.Run("TimesInUTC", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		for _, e := range mustHistory(t, s, "", 0) {
			for name, ts := range map[string]time.Time{"At": e.At, "OldExpiresAt": e.OldExpiresAt, "NewExpiresAt": e.NewExpiresAt} {
				if !ts.IsZero() && ts.Location() != time.UTC {
					t.Errorf("entry %d: %s = %v, want UTC", e.ID, name, ts)
				}
			}
		}
	})
}
