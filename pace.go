package igtoken

import (
	"context"
	"sync"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// Pacing thresholds (§4): Meta throttles at 100 % of any usage figure and
// says "stop making API calls" then; igtoken slows down from 90 %.
const (
	paceFrom    = 90
	paceStep    = 200 * time.Millisecond // per point above paceFrom
	paceMaxWait = 5 * time.Minute
)

// pacer remembers Meta's last usage figures, for the app and per account,
// and makes calls wait when they near the limit. Its zero value is ready.
type pacer struct {
	mu       sync.Mutex
	app      usageMark
	accounts map[string]usageMark
}

// usageMark is a usage percentage and, after throttling, when access
// should be back.
type usageMark struct {
	pct   int
	until time.Time
}

// wait returns how long a call for account id should wait first.
func (p *pacer) wait(id string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return min(max(p.app.delay(now), p.accounts[id].delay(now)), paceMaxWait)
}

func (u usageMark) delay(now time.Time) time.Duration {
	if now.Before(u.until) {
		return u.until.Sub(now)
	}
	if u.pct < paceFrom {
		return 0
	}
	return time.Duration(u.pct-paceFrom+1) * paceStep
}

// observe records the usage headers of the answer to a call for account
// id, and cause, the call's error. A throttling error makes the next calls
// wait Meta's estimated_time_to_regain_access, or a minute without one.
// The business figure is attributed to id: with calls for several accounts
// in flight it is an estimate.
func (p *pacer) observe(id string, u graph.Usage, ok bool, cause error, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.accounts == nil {
		p.accounts = map[string]usageMark{}
	}
	acct := p.accounts[id]
	if ok {
		p.app.pct, acct.pct = u.App, u.Business
	}
	if graph.IsThrottled(cause) {
		regain := u.RegainAccess
		if !ok || regain <= 0 {
			regain = time.Minute
		}
		acct.until = now.Add(regain)
		if code := graph.Code(cause); code == 4 {
			p.app.until = now.Add(regain) // code 4 is the app-wide limit
		}
	}
	p.accounts[id] = acct
}

// pace waits as the usage figures say before a call for account id.
func (m *Manager) pace(ctx context.Context, id string) error {
	if d := m.pacer.wait(id, time.Now()); d > 0 {
		m.logger().Info("slowing down: Instagram usage is near its limit", "account_id", id, "wait", d)
		return sleep(ctx, d)
	}
	return nil
}
