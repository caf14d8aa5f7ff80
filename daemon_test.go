package igtoken_test

import (
	"context"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
)

func TestRefresher_Pass(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	for _, u := range []string{"a1", "a2", "a3", "a4", "a5"} {
		e.login(t, u)
	}
	r := &igtoken.Refresher{Manager: e.mgr, Batch: 2}
	rep, err := r.Pass(t.Context())
	if err != nil || len(rep.Results) != 0 {
		t.Fatalf("fresh tokens: %d results (%v), want none", len(rep.Results), err)
	}
	e.emu.Advance(36 * day)
	rep, err = r.Pass(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	refreshed := 0
	for _, res := range rep.Results {
		if res.Outcome == igtoken.ResultRefreshed {
			refreshed++
		}
	}
	if refreshed != 5 || e.emu.Calls(emulator.EndpointIGRefreshToken) != 5 {
		t.Errorf("refreshed %d with %d calls, want 5 and 5 (batches of 2)", refreshed, e.emu.Calls(emulator.EndpointIGRefreshToken))
	}
	if r.LastPass().IsZero() || !r.Healthy(time.Now()) {
		t.Error("no heartbeat after a pass")
	}
}

func TestRefresher_WatchdogWarnsOnce(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	e.login(t, "alice")
	e.emu.Advance(36 * day)
	// Every refresh fails transiently: the token drifts towards expiry.
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 1000, emulator.Fault{Status: 500, Code: 2})
	r := &igtoken.Refresher{Manager: e.mgr}
	for range 3 {
		e.emu.Advance(6 * day)
		if _, err := r.Pass(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.events.count(igtoken.EventExpiring); n != 1 {
		t.Errorf("%d expiring events, want exactly 1", n)
	}
	if n := e.events.count(igtoken.EventRefreshFailed); n != 1 {
		t.Errorf("%d refresh_failed events over one failure streak, want 1", n)
	}
}

func TestRefresher_RunStopsOnCancel(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	e.login(t, "alice")
	r := &igtoken.Refresher{Manager: e.mgr, Interval: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, "a first pass", func() bool { return !r.LastPass().IsZero() })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	if r.LastPass().IsZero() {
		t.Error("Run completed no pass")
	}
}

// A shutdown during a pass stops claiming but finishes the refreshes in
// flight: every token Meta issued is stored.
func TestRefresher_ShutdownFinishesInFlight(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	for _, u := range []string{"a1", "a2", "a3", "a4", "a5", "a6"} {
		e.login(t, u)
	}
	e.emu.Advance(36 * day)
	e.emu.SetLatency(200 * time.Millisecond)
	e.mgr.Concurrency = 2
	r := &igtoken.Refresher{Manager: e.mgr, Batch: 2}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Shut down once the first batch is at Meta, waiting on its latency.
		waitFor(t, "a refresh call", func() bool { return e.emu.Calls(emulator.EndpointIGRefreshToken) > 0 })
		cancel()
	}()
	rep, err := r.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Outcome != igtoken.ResultRefreshed || rep.Results[1].Outcome != igtoken.ResultRefreshed {
		t.Fatalf("results %+v, want the one batch in flight refreshed", rep.Results)
	}
	calls := e.emu.Calls(emulator.EndpointIGRefreshToken)
	stored := 0
	for _, a := range mustAccounts(t, e) {
		if a.Status.RefreshCount == 1 {
			stored++
		}
	}
	if calls != 2 || stored != 2 {
		t.Errorf("%d refresh calls, %d refreshed tokens stored; want 2 and 2", calls, stored)
	}
}

func mustAccounts(tb testing.TB, e *env) []*igtoken.Account {
	tb.Helper()
	all, err := e.store.Accounts(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return all
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Errorf("timed out waiting for %s", what)
			return
		}
	}
}
