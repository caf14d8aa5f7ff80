package igtoken_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/seal"
	"github.com/igtoken/igtoken/internal/testenv"
	"github.com/igtoken/igtoken/postgres"
)

// replica is one igtoken serve process: its own pool on the shared
// PostgreSQL database, its own Manager and Refresher.
type replica struct {
	store     *postgres.Store
	mgr       *igtoken.Manager
	refresher *igtoken.Refresher
}

func newReplica(tb testing.TB, dbURL, metaURL string, emu *emulator.Server, keys *seal.Keyring, owner string) *replica {
	tb.Helper()
	store, err := postgres.Open(tb.Context(), dbURL, keys)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	m := testenv.Manager(store, testenv.Client(metaURL, emulator.DefaultRedirectURI), emu)
	m.Owner, m.Concurrency, m.Lease = owner, 16, 5*time.Minute
	return &replica{store: store, mgr: m, refresher: &igtoken.Refresher{Manager: m, Batch: 50}}
}

// Three replicas share 2,000 due accounts: each account is refreshed
// exactly once, counted at the emulator; a replica that dies holding
// leases loses them when they expire, and the others finish its accounts.
func TestReplicas_ShareTheWorkExactlyOnce(t *testing.T) {
	const accounts = 2000
	dbURL := testenv.PostgresURL(t)
	emu := emulator.New(emulator.Config{RefreshRotates: true})
	meta := httptest.NewServer(emu)
	t.Cleanup(meta.Close)
	t.Cleanup(emu.Close)
	keys, _ := seal.NewKeyring(make([]byte, seal.KeySize))

	var replicas []*replica
	for _, owner := range []string{"replica-a", "replica-b", "replica-c", "replica-dead"} {
		replicas = append(replicas, newReplica(t, dbURL, meta.URL, emu, keys, owner))
	}
	seedPostgres(t, replicas[0].store, emu, accounts)
	emu.Advance(36 * 24 * time.Hour)
	emu.SetLatency(5 * time.Millisecond)

	// The dead replica claims a batch and is killed (SIGKILL): no refresh,
	// no release.
	dead := replicas[3]
	now := emu.Now()
	orphans, err := dead.store.ClaimDue(t.Context(), dead.mgr.Owner, now, now.Add(dead.mgr.Lease), 100)
	if err != nil || len(orphans) != 100 {
		t.Fatalf("dead replica claimed %d (%v), want 100", len(orphans), err)
	}

	refreshed := passes(t, replicas[:3])
	if refreshed != accounts-100 {
		t.Fatalf("live replicas refreshed %d accounts, want %d (all but the dead replica's leases)", refreshed, accounts-100)
	}
	emu.Advance(6 * time.Minute) // the dead replica's leases expire
	refreshed += passes(t, replicas[:3])

	if calls := emu.Calls(emulator.EndpointIGRefreshToken); refreshed != accounts || calls != accounts {
		t.Errorf("refreshed %d, %d refresh calls at the emulator; want %d and %d", refreshed, calls, accounts, accounts)
	}
	all, err := replicas[0].store.Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.Status.RefreshCount != 1 || !emu.TokenValid(a.Token.Value) {
			t.Fatalf("account %s: refreshed %d times, token valid %v; want once and valid", a.ID, a.Status.RefreshCount, emu.TokenValid(a.Token.Value))
		}
	}
}

// passes runs one refresh pass on every replica at once and returns how
// many accounts they refreshed.
func passes(tb testing.TB, replicas []*replica) int {
	tb.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	for _, r := range replicas {
		wg.Go(func() {
			rep, err := r.refresher.Pass(context.Background())
			if err != nil {
				tb.Error(err)
				return
			}
			n := 0
			for _, res := range rep.Results {
				if res.Outcome == igtoken.ResultRefreshed {
					n++
				} else if res.Outcome != igtoken.ResultSkipped {
					tb.Errorf("account %s: %s (%s)", res.AccountID, res.Outcome, res.Error)
				}
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	return total
}

func seedPostgres(tb testing.TB, store igtoken.Store, emu *emulator.Server, n int) {
	tb.Helper()
	now := emu.Now()
	for i := range n {
		name := fmt.Sprintf("user%05d", i)
		u := emu.AddUser(name)
		tok := emu.IssueToken(name, true)
		a := &igtoken.Account{ID: u.InstagramID, AppScopedID: u.AppScopedID, Username: name,
			Token:  igtoken.Token{Value: tok, Kind: igtoken.LongLived, IssuedAt: now, ExpiresAt: now.Add(60 * 24 * time.Hour)},
			Status: igtoken.Status{NextRefreshAt: now.Add(30 * 24 * time.Hour)}}
		if err := store.PutAccount(tb.Context(), a, 0); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkReplicas_Throughput refreshes 1,200 due accounts with 1, 2 and 3
// replicas (concurrency 8 each) against 50 ms of emulator latency per call
// and reports the fraction of the ideal, accounts × latency ÷ (replicas × 8).
func BenchmarkReplicas_Throughput(b *testing.B) {
	const accounts, latency, concurrency = 1200, 50 * time.Millisecond, 8
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dbURL := testenv.PostgresURL(b)
				emu := emulator.New(emulator.Config{})
				meta := httptest.NewServer(emu)
				b.Cleanup(meta.Close)
				b.Cleanup(emu.Close)
				keys, _ := seal.NewKeyring(make([]byte, seal.KeySize))
				var replicas []*replica
				for i := range n {
					r := newReplica(b, dbURL, meta.URL, emu, keys, fmt.Sprintf("replica-%d", i))
					r.mgr.Concurrency = concurrency
					replicas = append(replicas, r)
				}
				seedPostgres(b, replicas[0].store, emu, accounts)
				emu.Advance(36 * 24 * time.Hour)
				emu.SetLatency(latency)
				b.StartTimer()
				start := time.Now()
				if got := passes(b, replicas); got != accounts {
					b.Fatalf("refreshed %d of %d", got, accounts)
				}
				ideal := time.Duration(accounts) * latency / time.Duration(n*concurrency)
				b.ReportMetric(float64(ideal)/float64(time.Since(start)), "ideal-fraction")
			}
		})
	}
}
