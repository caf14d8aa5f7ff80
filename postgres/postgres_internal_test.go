package postgres

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/igtoken/igtoken"
)

func TestClaimDue_QueryPlanUsesIndex(t *testing.T) {
	t.Parallel()
	s := openTest(t, newSchema(t), testKeyring(t, 1))
	// 2,000 accounts, the first 100 due: an index scan must stop early.
	seed(t, s, 2000, benchNow.Add(-100*time.Minute), time.Minute)
	if _, err := s.pool.Exec(t.Context(), `ANALYZE accounts`); err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(t.Context(), `EXPLAIN `+claimDue, pgx.StrictNamedArgs{
		"owner": "me", "now": benchNow, "until": benchNow.Add(time.Minute), "limit": int64(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "\n")
	if !strings.Contains(got, "Index Scan using accounts_due") || !strings.Contains(got, "Index Cond: (COALESCE(next_refresh_at") {
		t.Errorf("ClaimDue's plan does not scan accounts_due with the due time as an index condition:\n%s", got)
	}
}

func TestClaimDue_ConcurrentPools(t *testing.T) {
	t.Parallel()
	// Three replicas, each with its own pool, drain 2,000 due accounts at
	// once: every account is claimed exactly once.
	url := newSchema(t)
	keys := testKeyring(t, 1)
	const accounts, replicas, batch = 2000, 3, 25
	t0 := benchNow
	seed(t, openTest(t, url, keys), accounts, t0.Add(-time.Hour), time.Second) // all due at t0

	var (
		mu      sync.Mutex
		claimed = map[string][]string{} // account id → owners that claimed it
	)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for r := range replicas {
		s := openTest(t, url, keys)
		wg.Go(func() {
			<-start
			// A fresh owner per call: an owner may re-claim its own leases,
			// and the test wants every claim to take new accounts.
			for call := 0; ; call++ {
				owner := fmt.Sprintf("replica-%d/%d", r, call)
				as, err := s.ClaimDue(t.Context(), owner, t0, t0.Add(time.Hour), batch)
				if err != nil {
					t.Errorf("%s: ClaimDue: %v", owner, err)
					return
				}
				if len(as) == 0 {
					return
				}
				for i, a := range as {
					if i > 0 && as[i-1].Status.NextRefreshAt.After(a.Status.NextRefreshAt) {
						t.Errorf("%s: ClaimDue returned %s before %s, not soonest first", owner, as[i-1].ID, a.ID)
					}
				}
				mu.Lock()
				for _, a := range as {
					claimed[a.ID] = append(claimed[a.ID], owner)
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()

	if len(claimed) != accounts {
		t.Errorf("%d accounts were claimed, want all %d", len(claimed), accounts)
	}
	perReplica := map[string]int{}
	for id, by := range claimed {
		if len(by) != 1 {
			t.Errorf("account %s was claimed %d times, by %v; want once", id, len(by), by)
		}
		replica, _, _ := strings.Cut(by[0], "/")
		perReplica[replica]++
	}
	t.Logf("claims per replica: %v", perReplica)
}

func TestReencrypt_ConcurrentUpdates(t *testing.T) {
	t.Parallel()
	// While one process rotates the key in batches, another keeps
	// refreshing tokens: no refresh is undone, and every token ends up
	// under the new key.
	url := newSchema(t)
	const accounts = 1000
	seed(t, openTest(t, url, testKeyring(t, 1)), accounts, benchNow, time.Minute)

	rotated := testKeyring(t, 2, 1)
	rotator := openTest(t, url, rotated)
	rotator.batchSize = 50
	refresher := openTest(t, url, rotated)

	type write struct {
		version int64
		value   string
	}
	var (
		mu      sync.Mutex
		written = map[string]write{} // account id → its latest token write
		during  atomic.Int64         // writes that ended while Reencrypt ran
		running atomic.Bool
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	running.Store(true)
	for w := range 4 {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				id := seedID(rand.IntN(accounts))
				a, err := refresher.Account(t.Context(), id)
				if err != nil {
					t.Errorf("Account(%s): %v", id, err)
					return
				}
				value := fmt.Sprintf("IGAA-refreshed-by-%d-%d", w, k)
				v, err := refresher.UpdateToken(t.Context(), id, a.Token.Version, igtoken.Token{Value: value, Kind: igtoken.LongLived}, a.Status)
				if errors.Is(err, igtoken.ErrConflict) {
					continue // another writer won
				}
				if err != nil {
					t.Errorf("UpdateToken(%s): %v", id, err)
					return
				}
				if running.Load() {
					during.Add(1)
				}
				mu.Lock()
				if v > written[id].version {
					written[id] = write{v, value}
				}
				mu.Unlock()
			}
		})
	}

	time.Sleep(20 * time.Millisecond) // let the writers get going
	n, err := rotator.Reencrypt(t.Context())
	running.Store(false)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Reencrypt: %v", err)
	}
	t.Logf("Reencrypt re-sealed %d tokens; %d token writes landed while it ran, %d accounts written in all",
		n, during.Load(), len(written))
	if n == 0 || n > accounts {
		t.Errorf("Reencrypt re-sealed %d tokens, want 1 to %d", n, accounts)
	}
	if during.Load() == 0 {
		t.Error("no token write landed during the rotation: the test did not test concurrency")
	}

	usage, err := rotator.KeyUsage(t.Context())
	if want := rotated.PrimaryID(); err != nil || len(usage) != 1 || usage[want] != accounts {
		t.Errorf("KeyUsage = %v, %v; want all %d tokens under %s", usage, err, accounts, want)
	}
	// With the new key alone, every token reads back as last written.
	s := openTest(t, url, testKeyring(t, 2))
	as, err := s.Accounts(t.Context())
	if err != nil {
		t.Fatalf("Accounts with the new key only: %v", err)
	}
	for _, a := range as {
		var i int
		fmt.Sscanf(a.ID, "178414%d", &i)
		want := write{0, seedToken(i)}
		if w, ok := written[a.ID]; ok {
			want = w
		}
		if a.Token.Value != want.value || (want.version != 0 && a.Token.Version != want.version) {
			t.Errorf("account %s holds %q version %d; want the last write, %q version %d",
				a.ID, a.Token.Value, a.Token.Version, want.value, want.version)
		}
	}
}
