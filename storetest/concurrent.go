package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
)

func testConcurrent(t *testing.T, open func(testing.TB) igtoken.Store) {
	t.Run("UpdateToken", func(t *testing.T) {
		// Twenty refreshers read the same version; exactly one may write.
		// Several rounds give a racy implementation more chances to show.
		s := open(t)
		a := newAccount("1001", "alice")
		mustPut(t, s, a, 0)
		prev := a.Token.Version
		for round := range 10 {
			prev = updateRace(t, s, a.ID, prev, round)
		}
	})

	t.Run("ClaimDue", func(t *testing.T) {
		// Four refreshers drain 200 due accounts: each is claimed once.
		s := open(t)
		const accounts, owners, batch = 200, 4, 7
		for i := range accounts {
			a := newAccount(fmt.Sprintf("%04d", i), fmt.Sprintf("user%04d", i))
			a.Status.NextRefreshAt = t0.Add(-time.Duration(i%17) * time.Minute)
			mustPut(t, s, a, 0)
		}

		var (
			mu      sync.Mutex
			claimed = map[string][]string{} // account id → owners that claimed it
			errs    []error
		)
		var wg sync.WaitGroup
		for o := range owners {
			owner := fmt.Sprintf("refresher-%d", o)
			wg.Go(func() {
				if err := drain(t.Context(), s, owner, batch, func(id string) {
					mu.Lock()
					claimed[id] = append(claimed[id], owner)
					mu.Unlock()
				}); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		for _, err := range errs {
			t.Error(err)
		}
		if len(claimed) != accounts {
			t.Errorf("%d accounts were claimed, want all %d", len(claimed), accounts)
		}
		for id, by := range claimed {
			if len(by) != 1 {
				t.Errorf("account %s was claimed %d times, by %v; want once", id, len(by), by)
			}
		}
	})
}

// drain plays one refresher: it claims due accounts in batches, reschedules
// each and releases its lease, until nothing is due. It reports every claim
// to claimed and returns the first error.
func drain(ctx context.Context, s igtoken.Store, owner string, batch int, claimed func(id string)) error {
	next := t0.Add(24 * time.Hour)
	for {
		as, err := s.ClaimDue(ctx, owner, t0, t0.Add(time.Hour), batch)
		if err != nil {
			return fmt.Errorf("%s: ClaimDue: %w", owner, err)
		}
		if len(as) == 0 {
			return nil
		}
		for _, a := range as {
			claimed(a.ID)
			st := a.Status
			st.NextRefreshAt = next
			if err := s.UpdateStatus(ctx, a.ID, a.Token.Version, st); err != nil {
				return fmt.Errorf("%s: UpdateStatus(%s): %w", owner, a.ID, err)
			}
			if err := s.ReleaseLease(ctx, a.ID, owner); err != nil {
				return fmt.Errorf("%s: ReleaseLease(%s): %w", owner, a.ID, err)
			}
		}
	}
}

// updateRace has 20 goroutines call UpdateToken on version prev at once,
// checks that exactly one succeeded and that its write is stored, and
// returns the new version.
func updateRace(t *testing.T, s igtoken.Store, id string, prev int64, round int) int64 {
	t.Helper()
	const n = 20
	value := func(i int) string { return fmt.Sprintf("IGAA-round-%d-writer-%02d", round, i) }
	versions := make([]int64, n)
	errs := make([]error, n)
	start := make(chan struct{}) // released at once, for the most overlap
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			versions[i], errs[i] = s.UpdateToken(t.Context(), id, prev, newToken(value(i)), igtoken.Status{RefreshCount: i})
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("round %d: writers %d and %d both succeeded", round, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, igtoken.ErrConflict):
			t.Errorf("round %d: writer %d: error = %v, want nil or ErrConflict", round, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("round %d: no writer succeeded", round)
	}
	got := mustAccount(t, s, id)
	if got.Token.Value != value(winner) || got.Status.RefreshCount != winner {
		t.Errorf("round %d: stored token %q with RefreshCount %d, want the winner's %q and %d",
			round, got.Token.Value, got.Status.RefreshCount, value(winner), winner)
	}
	if got.Token.Version != versions[winner] {
		t.Errorf("round %d: stored version = %d, want the winner's %d", round, got.Token.Version, versions[winner])
	}
	return versions[winner]
}
