package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
)

func testLease(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("Lifecycle", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, newAccount("1001", "alice"), 0)
		ctx := t.Context()
		const id = "1001"

		mustAcquire(t, s, id, "A", t0, t0.Add(time.Minute))
		if err := s.AcquireLease(ctx, id, "B", t0.Add(30*time.Second), t0.Add(2*time.Minute)); !errors.Is(err, igtoken.ErrLeased) {
			t.Errorf("AcquireLease(B) during A's lease: error = %v, want ErrLeased", err)
		}

		// A renews; the renewal, not the first lease, now decides.
		mustAcquire(t, s, id, "A", t0.Add(30*time.Second), t0.Add(2*time.Minute))
		if err := s.AcquireLease(ctx, id, "B", t0.Add(90*time.Second), t0.Add(3*time.Minute)); !errors.Is(err, igtoken.ErrLeased) {
			t.Errorf("AcquireLease(B) during A's renewed lease: error = %v, want ErrLeased", err)
		}

		// At until, A's lease has expired.
		mustAcquire(t, s, id, "B", t0.Add(2*time.Minute), t0.Add(3*time.Minute))
		if err := s.AcquireLease(ctx, id, "A", t0.Add(2*time.Minute), t0.Add(4*time.Minute)); !errors.Is(err, igtoken.ErrLeased) {
			t.Errorf("AcquireLease(A) after B took over: error = %v, want ErrLeased", err)
		}

		// Releasing a lease one does not hold is harmless and ends nothing.
		if err := s.ReleaseLease(ctx, id, "A"); err != nil {
			t.Errorf("ReleaseLease(A, not holder) = %v, want nil", err)
		}
		if err := s.AcquireLease(ctx, id, "A", t0.Add(150*time.Second), t0.Add(4*time.Minute)); !errors.Is(err, igtoken.ErrLeased) {
			t.Errorf("AcquireLease(A) after A's stray release: error = %v, want ErrLeased", err)
		}

		if err := s.ReleaseLease(ctx, id, "B"); err != nil {
			t.Fatalf("ReleaseLease(B): %v", err)
		}
		mustAcquire(t, s, id, "A", t0.Add(150*time.Second), t0.Add(4*time.Minute))
	})

	t.Run("ReleaseUnleased", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, newAccount("1001", "alice"), 0)
		if err := s.ReleaseLease(t.Context(), "1001", "A"); err != nil {
			t.Errorf("ReleaseLease(no lease) = %v, want nil", err)
		}
	})

	t.Run("PerAccount", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, newAccount("1001", "alice"), 0)
		mustPut(t, s, newAccount("1002", "bob"), 0)
		mustAcquire(t, s, "1001", "A", t0, t0.Add(time.Minute))
		mustAcquire(t, s, "1002", "B", t0, t0.Add(time.Minute))
	})

	t.Run("LeavesAccountUnchanged", func(t *testing.T) {
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)
		mustAcquire(t, s, a.ID, "A", t0, t0.Add(time.Minute))
		if err := s.ReleaseLease(t.Context(), a.ID, "A"); err != nil {
			t.Fatalf("ReleaseLease: %v", err)
		}
		if diff := cmp.Diff(a, mustAccount(t, s, a.ID), ignoreUpdatedAt); diff != "" {
			t.Errorf("account changed by leasing (-want +got):\n%s", diff)
		}
	})
}

func testClaimDue(t *testing.T, open func(testing.TB) igtoken.Store) {
	// put stores an account whose next refresh is at next, and applies edit.
	put := func(tb testing.TB, s igtoken.Store, id string, next time.Time, edit func(*igtoken.Account)) {
		tb.Helper()
		a := newAccount(id, "user-"+id)
		a.Status.NextRefreshAt = next
		if edit != nil {
			edit(a)
		}
		mustPut(tb, s, a, 0)
	}
	until := t0.Add(5 * time.Minute)

	t.Run("OnlyDue", func(t *testing.T) {
		s := open(t)
		put(t, s, "due-past", t0.Add(-time.Hour), nil)
		put(t, s, "due-now", t0, nil)
		put(t, s, "due-zero", time.Time{}, nil)
		put(t, s, "later", t0.Add(time.Second), nil)
		put(t, s, "much-later", t0.Add(30*24*time.Hour), nil)
		put(t, s, "reconnect", t0.Add(-2*time.Hour), func(a *igtoken.Account) {
			a.Status.NeedsReconnect = true
			a.Status.ReconnectReason = "190/460"
		})
		put(t, s, "reconnect-zero", time.Time{}, func(a *igtoken.Account) { a.Status.NeedsReconnect = true })
		put(t, s, "leased-other", t0.Add(-3*time.Hour), nil)
		mustAcquire(t, s, "leased-other", "other", t0.Add(-time.Minute), t0.Add(time.Second))
		put(t, s, "leased-self", t0.Add(-30*time.Minute), nil)
		mustAcquire(t, s, "leased-self", "me", t0.Add(-time.Minute), t0.Add(time.Minute))
		put(t, s, "lease-expired", t0.Add(-4*time.Hour), nil)
		mustAcquire(t, s, "lease-expired", "other", t0.Add(-time.Minute), t0)
		put(t, s, "lease-released", t0.Add(-5*time.Hour), nil)
		mustAcquire(t, s, "lease-released", "other", t0.Add(-time.Minute), t0.Add(time.Hour))
		if err := s.ReleaseLease(t.Context(), "lease-released", "other"); err != nil {
			t.Fatalf("ReleaseLease: %v", err)
		}

		got := mustClaim(t, s, "me", t0, until, 100)
		want := []string{"due-zero", "lease-released", "lease-expired", "due-past", "leased-self", "due-now"}
		if diff := cmp.Diff(want, ids(got)); diff != "" {
			t.Errorf("ClaimDue ids mismatch, want due accounts soonest first (-want +got):\n%s", diff)
		}
		for _, a := range got {
			if diff := cmp.Diff(mustAccount(t, s, a.ID), a, ignoreUpdatedAt); diff != "" {
				t.Errorf("claimed account %s differs from the stored one (-stored +claimed):\n%s", a.ID, diff)
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		if got := mustClaim(t, s, "me", t0, until, 10); len(got) != 0 {
			t.Errorf("ClaimDue on an empty store = %v, want none", ids(got))
		}
		put(t, s, "later", t0.Add(time.Hour), nil)
		if got := mustClaim(t, s, "me", t0, until, 10); len(got) != 0 {
			t.Errorf("ClaimDue with nothing due = %v, want none", ids(got))
		}
	})

	t.Run("Limit", func(t *testing.T) {
		s := open(t)
		for i, id := range []string{"e", "c", "a", "d", "b"} {
			put(t, s, id, t0.Add(-time.Duration(i+1)*time.Minute), nil) // b is the most overdue
		}
		if diff := cmp.Diff([]string{"b", "d", "a"}, ids(mustClaim(t, s, "A", t0, until, 3))); diff != "" {
			t.Errorf("ClaimDue(A, limit 3) mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"c"}, ids(mustClaim(t, s, "B", t0, until, 1))); diff != "" {
			t.Errorf("ClaimDue(B, limit 1) mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"e"}, ids(mustClaim(t, s, "C", t0, until, 10))); diff != "" {
			t.Errorf("ClaimDue(C, limit 10) mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("Leases", func(t *testing.T) {
		s := open(t)
		put(t, s, "x", t0.Add(-2*time.Minute), nil)
		put(t, s, "y", t0.Add(-time.Minute), nil)
		if diff := cmp.Diff([]string{"x", "y"}, ids(mustClaim(t, s, "A", t0, until, 10))); diff != "" {
			t.Fatalf("ClaimDue(A) mismatch (-want +got):\n%s", diff)
		}

		if got := mustClaim(t, s, "B", t0.Add(time.Minute), until.Add(time.Minute), 10); len(got) != 0 {
			t.Errorf("ClaimDue(B) during A's leases = %v, want none", ids(got))
		}
		if err := s.AcquireLease(t.Context(), "x", "B", t0.Add(time.Minute), until); !errors.Is(err, igtoken.ErrLeased) {
			t.Errorf("AcquireLease(B) on an account A claimed: error = %v, want ErrLeased", err)
		}
		// The owner may claim its own accounts again, renewing the lease.
		if diff := cmp.Diff([]string{"x", "y"}, ids(mustClaim(t, s, "A", t0.Add(time.Minute), until.Add(time.Minute), 10))); diff != "" {
			t.Errorf("ClaimDue(A) again mismatch (-want +got):\n%s", diff)
		}
		if got := mustClaim(t, s, "B", until, until.Add(5*time.Minute), 10); len(got) != 0 {
			t.Errorf("ClaimDue(B) during A's renewed leases = %v, want none", ids(got))
		}

		if err := s.ReleaseLease(t.Context(), "y", "A"); err != nil {
			t.Fatalf("ReleaseLease: %v", err)
		}
		if diff := cmp.Diff([]string{"y"}, ids(mustClaim(t, s, "B", until, until.Add(5*time.Minute), 10))); diff != "" {
			t.Errorf("ClaimDue(B) after A released y mismatch (-want +got):\n%s", diff)
		}

		// Once A's renewed lease on x expires, B gets it, along with y, which
		// B holds itself.
		expiry := until.Add(time.Minute)
		if diff := cmp.Diff([]string{"x", "y"}, ids(mustClaim(t, s, "B", expiry, expiry.Add(5*time.Minute), 10))); diff != "" {
			t.Errorf("ClaimDue(B) after A's lease expired mismatch (-want +got):\n%s", diff)
		}
		if err := s.AcquireLease(t.Context(), "x", "A", expiry, expiry.Add(time.Minute)); !errors.Is(err, igtoken.ErrLeased) {
			t.Errorf("AcquireLease(A) on an account B claimed: error = %v, want ErrLeased", err)
		}
	})

	t.Run("NotDueAfterUpdate", func(t *testing.T) {
		// The refresher's cycle: claim, write the new schedule, release.
		s := open(t)
		put(t, s, "x", t0.Add(-time.Minute), nil)
		got := mustClaim(t, s, "A", t0, until, 10)
		if len(got) != 1 {
			t.Fatalf("ClaimDue = %v, want [x]", ids(got))
		}
		st := got[0].Status
		st.NextRefreshAt = t0.Add(24 * time.Hour)
		if err := s.UpdateStatus(t.Context(), "x", got[0].Token.Version, st); err != nil {
			t.Fatalf("UpdateStatus: %v", err)
		}
		if err := s.ReleaseLease(t.Context(), "x", "A"); err != nil {
			t.Fatalf("ReleaseLease: %v", err)
		}
		if got := mustClaim(t, s, "B", t0, until, 10); len(got) != 0 {
			t.Errorf("ClaimDue after rescheduling = %v, want none", ids(got))
		}
		if diff := cmp.Diff([]string{"x"}, ids(mustClaim(t, s, "B", t0.Add(24*time.Hour), t0.Add(25*time.Hour), 10))); diff != "" {
			t.Errorf("ClaimDue at the new schedule mismatch (-want +got):\n%s", diff)
		}
	})
}
