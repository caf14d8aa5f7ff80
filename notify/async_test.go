package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/notify"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTextLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// recorder records the events it is told about.
type recorder struct {
	mu     sync.Mutex
	events []igtoken.Event
}

func (r *recorder) Notify(_ context.Context, e igtoken.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) got() []igtoken.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]igtoken.Event(nil), r.events...)
}

func event(typ igtoken.EventType, account string) igtoken.Event {
	return igtoken.Event{Type: typ, AccountID: account, At: t0}
}

// notifyQuickly fails the test if Notify takes long: Async must never block.
func notifyQuickly(t *testing.T, n igtoken.Notifier, e igtoken.Event) error {
	t.Helper()
	start := time.Now()
	err := n.Notify(t.Context(), e)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Notify blocked for %v", d)
	}
	return err
}

func TestAsync_DrainsOnClose(t *testing.T) {
	rec := &recorder{}
	slow := igtoken.NotifierFunc(func(ctx context.Context, e igtoken.Event) error {
		time.Sleep(2 * time.Millisecond)
		return rec.Notify(ctx, e)
	})
	a := notify.NewAsync(slow, 20, nil)
	var want []igtoken.Event
	for i := range 20 {
		e := event(igtoken.EventRefreshed, string(rune('a'+i)))
		want = append(want, e)
		if err := notifyQuickly(t, a, e); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	if err := a.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if diff := cmp.Diff(want, rec.got()); diff != "" {
		t.Errorf("delivered events (-want +got):\n%s", diff)
	}
	if err := a.Notify(t.Context(), event(igtoken.EventRefreshed, "late")); !errors.Is(err, notify.ErrClosed) {
		t.Errorf("Notify after Close = %v, want ErrClosed", err)
	}
	if err := a.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestAsync_NeverBlocksAndDropsWhenFull(t *testing.T) {
	release := make(chan struct{})
	rec := &recorder{}
	stuck := igtoken.NotifierFunc(func(ctx context.Context, e igtoken.Event) error {
		<-release
		return rec.Notify(ctx, e)
	})
	var logs syncBuffer
	a := notify.NewAsync(stuck, 2, newTextLogger(&logs))
	const sent = 6
	for i := range sent {
		if err := notifyQuickly(t, a, event(igtoken.EventExpiring, string(rune('a'+i)))); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	close(release)
	if err := a.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	dropped := strings.Count(logs.String(), "notification dropped: queue full")
	delivered := len(rec.got())
	// The worker holds at most one event and the queue two: at least three
	// of six are dropped, and every event is either delivered or dropped.
	if dropped < sent-3 || dropped+delivered != sent {
		t.Errorf("dropped %d and delivered %d of %d; logs:\n%s", dropped, delivered, sent, logs.String())
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "event=token.expiring") {
		t.Errorf("drop warning lacks level or event:\n%s", logs.String())
	}
}

func TestAsync_CloseDeadlineCancelsDelivery(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	blocking := igtoken.NotifierFunc(func(ctx context.Context, _ igtoken.Event) error {
		close(started) // only the first event is ever delivered
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	})
	var logs syncBuffer
	a := notify.NewAsync(blocking, 4, newTextLogger(&logs))
	for _, id := range []string{"a", "b", "c"} {
		if err := notifyQuickly(t, a, event(igtoken.EventNeedsReconnect, id)); err != nil {
			t.Fatal(err)
		}
	}
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := a.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want context.DeadlineExceeded", err)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the delivery in flight was not cancelled")
	}
	waitFor(t, func() bool { return strings.Contains(logs.String(), "notifications dropped at close") })
	if !strings.Contains(logs.String(), "count=2") {
		t.Errorf("want the 2 pending events counted as dropped:\n%s", logs.String())
	}
}

func TestAsync_OutlivesCallerContext(t *testing.T) {
	type key struct{}
	got := make(chan error, 1)
	n := igtoken.NotifierFunc(func(ctx context.Context, _ igtoken.Event) error {
		if ctx.Value(key{}) != "trace-1" {
			got <- errors.New("caller's context values lost")
		} else {
			got <- ctx.Err()
		}
		return nil
	})
	a := notify.NewAsync(n, 1, nil)
	defer a.Close(t.Context())
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, "trace-1"))
	cancel() // the refresh that raised the event is over before delivery
	if err := a.Notify(ctx, event(igtoken.EventRefreshed, "a")); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Errorf("delivery context: %v", err)
	}
}

func TestAsync_LogsFailedDelivery(t *testing.T) {
	failing := igtoken.NotifierFunc(func(context.Context, igtoken.Event) error { return errors.New("receiver down") })
	var logs syncBuffer
	a := notify.NewAsync(failing, 1, newTextLogger(&logs))
	if err := a.Notify(t.Context(), event(igtoken.EventDeauthorized, "42")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"notification failed", "receiver down", "account_id=42"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestAsync_Webhook puts a slow webhook receiver behind Async: Notify stays
// fast, and Close delivers what was queued.
func TestAsync_Webhook(t *testing.T) {
	rc := newReceiver(t, nil)
	gate := make(chan struct{})
	slow := igtoken.NotifierFunc(func(ctx context.Context, e igtoken.Event) error {
		<-gate
		return newWebhook(rc.URL, rawSecret).Notify(ctx, e)
	})
	a := notify.NewAsync(slow, 8, nil)
	for _, typ := range allEventTypes {
		if err := notifyQuickly(t, a, event(typ, "1")); err != nil {
			t.Fatal(err)
		}
	}
	close(gate)
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != len(allEventTypes) {
		t.Fatalf("receiver got %d requests, want %d", len(reqs), len(allEventTypes))
	}
	for _, r := range reqs {
		checkSigned(t, rawSecret, []byte(rawSecret), r)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
