package notify

import (
	"context"
	"sync"
	"time"

	"github.com/igtoken/igtoken"
)

// Dedup passes events on to another Notifier but suppresses a repeat of the
// last event type sent for an account within a window: a watchdog that
// checks every few minutes then sends one token.expiring notice a day, not
// hundreds. Only the last type per account is remembered, so any other
// event type for the account resets it (expiring, refreshed, expiring sends
// both expiring notices). A delivery that fails is forgotten, so the next
// one goes through. A Dedup is safe for concurrent use.
type Dedup struct {
	n      igtoken.Notifier
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	last    map[string]sent // by account id
	seq     uint64
	sweepAt int // prune expired entries when last grows to this size
}

type sent struct {
	typ igtoken.EventType
	at  time.Time
	seq uint64
}

// NewDedup returns a Dedup in front of n. A window <= 0 suppresses nothing;
// a nil now means time.Now.
func NewDedup(n igtoken.Notifier, window time.Duration, now func() time.Time) *Dedup {
	return &Dedup{n: n, window: window, now: orNow(now), last: make(map[string]sent), sweepAt: 64}
}

var _ igtoken.Notifier = (*Dedup)(nil)

// Notify passes e on unless it repeats the account's last event within the
// window; a suppressed event returns nil.
func (d *Dedup) Notify(ctx context.Context, e igtoken.Event) error {
	cur, ok := d.claim(e)
	if !ok {
		return nil
	}
	err := d.n.Notify(ctx, e)
	if err != nil {
		d.mu.Lock()
		if d.last[e.AccountID].seq == cur.seq {
			delete(d.last, e.AccountID)
		}
		d.mu.Unlock()
	}
	return err
}

// claim records e as sent, before it is, so that concurrent repeats are
// suppressed too; ok is false if e is a repeat.
func (d *Dedup) claim(e igtoken.Event) (cur sent, ok bool) {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if prev, found := d.last[e.AccountID]; found && prev.typ == e.Type && now.Sub(prev.at) < d.window {
		return sent{}, false
	}
	d.seq++
	cur = sent{typ: e.Type, at: now, seq: d.seq}
	d.last[e.AccountID] = cur
	if len(d.last) >= d.sweepAt {
		for id, s := range d.last {
			if now.Sub(s.at) >= d.window {
				delete(d.last, id)
			}
		}
		d.sweepAt = max(64, 2*len(d.last))
	}
	return cur, true
}
