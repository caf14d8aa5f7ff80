package igtoken

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// Backoff bounds the retries of transient failures inside one attempt:
// exponential, with full jitter, so that many accounts failing together do
// not retry together.
type Backoff struct {
	Attempts int           // tries in all, the first included
	Base     time.Duration // wait before the second try
	Max      time.Duration // longest wait
}

// DefaultBackoff: three tries, waiting up to 1 s then 2 s.
func DefaultBackoff() Backoff {
	return Backoff{Attempts: 3, Base: time.Second, Max: 30 * time.Second}
}

// do calls fn until it succeeds, fails with an error that is not transient,
// the attempts run out, or ctx ends. It returns fn's last error.
func (b Backoff) do(ctx context.Context, fn func() error) error {
	attempts := max(b.Attempts, 1)
	var err error
	for i := range attempts {
		if err = fn(); err == nil || !graph.IsTransient(err) || i == attempts-1 {
			return err
		}
		if werr := sleep(ctx, b.wait(i)); werr != nil {
			return err
		}
	}
	return err
}

func (b Backoff) wait(i int) time.Duration {
	d := b.Base << i
	if b.Max > 0 && (d > b.Max || d <= 0) {
		d = b.Max
	}
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
