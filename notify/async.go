package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/igtoken/igtoken"
)

// ErrClosed is returned by Notify after Close.
var ErrClosed = errors.New("notifier is closed")

// Async hands events to another Notifier from a background goroutine, one at
// a time and in order, so that a slow or failing receiver never holds up a
// refresh. Notify never blocks: when the queue is full it drops the event and
// logs a warning. Failed deliveries are logged too, since nobody is left to
// return the error to. Call Close to drain the queue.
type Async struct {
	n    igtoken.Notifier
	log  *slog.Logger
	stop context.CancelFunc // cancels in-flight and pending deliveries
	done chan struct{}      // closed when the goroutine has exited

	// stopped is cancelled by stop; deliveries derive from it.
	stopped context.Context

	mu     sync.RWMutex // guards closed, and sends on queue against its close
	closed bool
	queue  chan job
}

type job struct {
	ctx context.Context // the caller's values, without its cancellation
	e   igtoken.Event
}

// NewAsync starts delivering events to n in the background. queue is how
// many events may wait (values below 1 mean 64); logger gets dropped and
// failed deliveries (nil means discard).
func NewAsync(n igtoken.Notifier, queue int, logger *slog.Logger) *Async {
	if queue < 1 {
		queue = 64
	}
	stopped, stop := context.WithCancel(context.Background())
	a := &Async{
		n:       n,
		log:     orDiscard(logger),
		stop:    stop,
		stopped: stopped,
		done:    make(chan struct{}),
		queue:   make(chan job, queue),
	}
	go a.run()
	return a
}

var _ igtoken.Notifier = (*Async)(nil)

// Notify queues e and returns at once. A full queue drops e with a logged
// warning and still returns nil: the caller must not wait or fail because of
// a receiver. The delivery keeps ctx's values but not its cancellation or
// deadline, since the caller is usually done long before it. Notify returns
// ErrClosed after Close.
func (a *Async) Notify(ctx context.Context, e igtoken.Event) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return ErrClosed
	}
	select {
	case a.queue <- job{ctx: context.WithoutCancel(ctx), e: e}:
	default:
		a.log.LogAttrs(ctx, slog.LevelWarn, "notification dropped: queue full",
			append(eventAttrs(e), slog.Int("queue", cap(a.queue)))...)
	}
	return nil
}

// Close stops accepting events and waits until the queued ones are
// delivered. If ctx ends first, Close cancels the delivery in flight, drops
// the rest (logging how many) and returns ctx's error. Close may be called
// more than once.
func (a *Async) Close(ctx context.Context) error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.queue)
	}
	a.mu.Unlock()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		a.stop()
		return fmt.Errorf("notify: close: %w", ctx.Err())
	}
}

func (a *Async) run() {
	defer close(a.done)
	defer a.stop()
	dropped := 0
	for j := range a.queue {
		if a.stopped.Err() != nil {
			dropped++
			continue
		}
		a.deliver(j)
	}
	if dropped > 0 {
		a.log.Warn("notifications dropped at close", "count", dropped)
	}
}

func (a *Async) deliver(j job) {
	ctx, cancel := context.WithCancel(j.ctx)
	defer cancel()
	defer context.AfterFunc(a.stopped, cancel)()
	if err := a.n.Notify(ctx, j.e); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "notification failed", append(eventAttrs(j.e), slog.Any("err", err))...)
	}
}
