package igtoken

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Refresher runs the refresh daemon: a loop around one synchronous Pass,
// the same work `auto-refresh` does, over leased batches of due accounts.
type Refresher struct {
	Manager  *Manager
	Interval time.Duration // between passes (default 5 min)
	Batch    int           // accounts claimed at a time (default 4 × Concurrency)
	// Grace is how long refreshes in flight may go on once the context
	// ends (default 30 s): a shutdown stops claiming, not refreshing.
	Grace time.Duration
	// OnPass, if set, is told about every completed pass (metrics).
	OnPass func(p PassReport)

	lastPass atomic.Int64 // Unix nanoseconds of the last completed pass
	mu       sync.Mutex
	warned   map[string]time.Time // account id → expiry already warned about
}

// PassReport sums up one pass.
type PassReport struct {
	Started, Finished time.Time
	Results           []Result
	Expiring          int // accounts warned about by the watchdog
}

// Run runs a pass at once and then every Interval until ctx ends. A pass in
// flight when ctx ends claims nothing more, lets the batch in flight finish
// (within Grace), and Run returns nil.
func (r *Refresher) Run(ctx context.Context) error {
	interval := r.interval()
	for {
		if _, err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.Manager.logger().Error("refresh pass failed", "err", err)
		}
		if err := sleep(ctx, interval); err != nil {
			return nil
		}
	}
}

func (r *Refresher) grace() time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return 30 * time.Second
}

func (r *Refresher) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return 5 * time.Minute
}

// Pass claims due accounts batch by batch and refreshes them, then runs the
// expiry watchdog. When ctx ends it stops claiming; the batch in flight
// goes on for up to Grace, so that no token Meta has just issued is lost.
func (r *Refresher) Pass(ctx context.Context) (*PassReport, error) {
	m := r.Manager
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(r.grace(), cancel) })
	defer stop()
	rep := &PassReport{Started: m.now()}
	batch := r.Batch
	if batch <= 0 {
		batch = 4 * max(m.Concurrency, 1)
	}
	// Every account is claimed at most once a pass (a claimed account is
	// rescheduled or leased), so a generous bound only guards against a
	// store that misbehaves.
	for range 100_000 {
		if ctx.Err() != nil {
			break
		}
		res, err := m.RefreshDue(work, batch, TriggerServe)
		if err != nil {
			return rep, err
		}
		rep.Results = append(rep.Results, res.Results...)
		if len(res.Results) < batch {
			break
		}
	}
	n, err := r.watch(work)
	if err != nil {
		return rep, err
	}
	rep.Expiring = n
	rep.Finished = m.now()
	r.lastPass.Store(time.Now().UnixNano())
	if r.OnPass != nil {
		r.OnPass(*rep)
	}
	return rep, nil
}

// LastPass returns when the last pass completed (wall clock), or zero.
func (r *Refresher) LastPass() time.Time {
	if ns := r.lastPass.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Healthy reports whether a pass completed within the last three intervals
// (or, before the first pass, whether startup was that recent).
func (r *Refresher) Healthy(since time.Time) bool {
	last := r.LastPass()
	if last.IsZero() {
		last = since
	}
	return time.Since(last) < 3*r.interval()
}

// watch warns once per token about every usable account within
// ExpiringWithin of expiry: its refreshes have been failing, and a person
// should look before the token dies.
func (r *Refresher) watch(ctx context.Context) (int, error) {
	m := r.Manager
	accounts, err := m.store.Accounts(ctx)
	if err != nil {
		return 0, fmt.Errorf("watchdog: %w", err)
	}
	now := m.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.warned == nil {
		r.warned = map[string]time.Time{}
	}
	n := 0
	for _, a := range accounts {
		if m.policy().StateOf(a, now) != StateExpiring || a.Token.Kind != LongLived {
			continue
		}
		if r.warned[a.ID].Equal(a.Token.ExpiresAt) {
			continue
		}
		r.warned[a.ID] = a.Token.ExpiresAt
		n++
		m.notify(ctx, Event{Type: EventExpiring, AccountID: a.ID, Username: a.Username, ExpiresAt: a.Token.ExpiresAt,
			Reason: fmt.Sprintf("expires in %s without a successful refresh; last error: %s", days(a.Token.ExpiresAt.Sub(now)), a.Status.LastError)})
	}
	return n, nil
}
