package notify_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/notify"
)

func TestDedup(t *testing.T) {
	now := t0
	clock := func() time.Time { return now }
	rec := &recorder{}
	d := notify.NewDedup(rec, 24*time.Hour, clock)

	steps := []struct {
		advance time.Duration
		e       igtoken.Event
		sent    bool
	}{
		{0, event(igtoken.EventExpiring, "a"), true},
		{time.Hour, event(igtoken.EventExpiring, "a"), false},      // repeat within the window
		{time.Hour, event(igtoken.EventExpiring, "b"), true},       // another account
		{time.Hour, event(igtoken.EventRefreshFailed, "a"), true},  // another type resets…
		{time.Minute, event(igtoken.EventExpiring, "a"), true},     // …so expiring goes again
		{23 * time.Hour, event(igtoken.EventExpiring, "a"), false}, // still within 24 h of it
		{time.Hour, event(igtoken.EventExpiring, "a"), true},       // 24 h 1 min: the window has passed
		{0, event(igtoken.EventExpiring, "b"), true},               // b's window passed too
	}
	var want []igtoken.Event
	for i, s := range steps {
		now = now.Add(s.advance)
		if err := d.Notify(t.Context(), s.e); err != nil {
			t.Fatalf("step %d: Notify: %v", i, err)
		}
		if s.sent {
			want = append(want, s.e)
		}
	}
	if diff := cmp.Diff(want, rec.got()); diff != "" {
		t.Errorf("forwarded events (-want +got):\n%s", diff)
	}
}

func TestDedup_FailureIsNotRemembered(t *testing.T) {
	fail := true
	calls := 0
	n := igtoken.NotifierFunc(func(context.Context, igtoken.Event) error {
		calls++
		if fail {
			return errors.New("receiver down")
		}
		return nil
	})
	d := notify.NewDedup(n, time.Hour, func() time.Time { return t0 })
	e := event(igtoken.EventExpiring, "a")
	if err := d.Notify(t.Context(), e); err == nil {
		t.Fatal("Notify = nil, want the failure")
	}
	fail = false
	if err := d.Notify(t.Context(), e); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if err := d.Notify(t.Context(), e); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if calls != 2 {
		t.Errorf("inner notifier called %d times, want 2 (the failure, then one success)", calls)
	}
}

func TestDedup_ZeroWindowSuppressesNothing(t *testing.T) {
	rec := &recorder{}
	d := notify.NewDedup(rec, 0, func() time.Time { return t0 })
	for range 3 {
		if err := d.Notify(t.Context(), event(igtoken.EventExpiring, "a")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rec.got()); n != 3 {
		t.Errorf("forwarded %d events, want 3", n)
	}
}

func TestDedup_Concurrent(t *testing.T) {
	rec := &recorder{}
	d := notify.NewDedup(rec, time.Hour, nil)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := d.Notify(t.Context(), event(igtoken.EventExpiring, "a")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(rec.got()); n != 1 {
		t.Errorf("forwarded %d events, want 1", n)
	}
}

func TestDedup_ManyAccounts(t *testing.T) {
	now := t0
	rec := &recorder{}
	d := notify.NewDedup(rec, time.Minute, func() time.Time { return now })
	// Enough accounts to make Dedup prune old entries along the way; pruning
	// must not change what is sent.
	for round := range 3 {
		for i := range 200 {
			if err := d.Notify(t.Context(), event(igtoken.EventExpiring, string(rune(0x100+i)))); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := len(rec.got()), 200*(round+1); got != want {
			t.Fatalf("round %d: forwarded %d, want %d", round, got, want)
		}
		for i := range 200 { // repeats within the window
			_ = d.Notify(t.Context(), event(igtoken.EventExpiring, string(rune(0x100+i))))
		}
		if got, want := len(rec.got()), 200*(round+1); got != want {
			t.Fatalf("round %d: repeats forwarded: %d, want %d", round, got, want)
		}
		now = now.Add(2 * time.Minute)
	}
}
