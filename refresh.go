package igtoken

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// RunOptions selects and shapes a refresh or convert run.
type RunOptions struct {
	IDs []string // accounts to consider; empty means every account
	// Window overrides Policy.Window for this run (--days-before-expiry).
	Window time.Duration
	// Force: for Refresh, ignore the window (--force-all) but never Meta's
	// rules; for Convert, convert long-lived tokens too (--force).
	Force bool
	// DryRun decides and reports without calling Meta or writing anything.
	DryRun  bool
	Trigger Trigger
}

// Outcomes of one account in a run, as reported (a superset of the
// history's Outcome).
const (
	ResultRefreshed      = "refreshed"
	ResultConverted      = "converted"
	ResultWouldRefresh   = "would_refresh"
	ResultWouldConvert   = "would_convert"
	ResultSkipped        = "skipped"
	ResultFailed         = "failed"
	ResultNeedsReconnect = "needs_reconnect"
	ResultConflict       = "conflict"
)

// Result is what a run did with one account.
type Result struct {
	AccountID    string     `json:"account_id"`
	Username     string     `json:"username"`
	Action       Action     `json:"action"`
	Outcome      string     `json:"outcome"`
	Reason       string     `json:"reason"`
	OldExpiresAt *time.Time `json:"old_expires_at"`
	NewExpiresAt *time.Time `json:"new_expires_at"`
	Error        string     `json:"error,omitempty"`
	Err          error      `json:"-"`
}

// Failed reports whether the attempt failed.
func (r Result) Failed() bool {
	return r.Outcome == ResultFailed || r.Outcome == ResultNeedsReconnect
}

// Report is the outcome of a run, one Result per account considered.
type Report struct {
	Results  []Result  `json:"results"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

// Failed returns how many accounts failed.
func (r *Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if res.Failed() {
			n++
		}
	}
	return n
}

// Count returns how many results have the given outcome.
func (r *Report) Count(outcome string) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == outcome {
			n++
		}
	}
	return n
}

type decideFunc func(a *Account, now time.Time) Decision

// Refresh refreshes every selected long-lived token that is due, and
// converts short-lived ones. One failing account never stops the run.
func (m *Manager) Refresh(ctx context.Context, opt RunOptions) (*Report, error) {
	ids, err := m.selectIDs(ctx, opt.IDs)
	if err != nil {
		return nil, err
	}
	return m.run(ctx, ids, opt, m.refreshDecider(opt)), nil
}

func (m *Manager) refreshDecider(opt RunOptions) decideFunc {
	p := m.policy()
	if opt.Window > 0 {
		p.Window = opt.Window
	}
	return func(a *Account, now time.Time) Decision {
		return p.DecideRefresh(a, now, opt.Force)
	}
}

// Convert exchanges every selected short-lived token for a long-lived one.
func (m *Manager) Convert(ctx context.Context, opt RunOptions) (*Report, error) {
	ids, err := m.selectIDs(ctx, opt.IDs)
	if err != nil {
		return nil, err
	}
	p := m.policy()
	return m.run(ctx, ids, opt, func(a *Account, now time.Time) Decision {
		return p.DecideConvert(a, now, opt.Force)
	}), nil
}

// RefreshDue claims up to limit due accounts with a lease and refreshes
// them: one batch of the refresh daemon. The claim already holds each
// account's lease and read its row under it, so the attempts start from
// there.
func (m *Manager) RefreshDue(ctx context.Context, limit int, trigger Trigger) (*Report, error) {
	now := m.now()
	claimed, err := m.store.ClaimDue(ctx, m.Owner, now, now.Add(m.lease()), limit)
	if err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	opt := RunOptions{Trigger: trigger}
	decide := m.refreshDecider(opt)
	rep := &Report{Started: now, Results: make([]Result, len(claimed))}
	m.forEach(ctx, len(claimed), func(i int) {
		defer m.release(ctx, claimed[i].ID)
		rep.Results[i] = m.decideAndAct(ctx, claimed[i], decide, opt)
	})
	rep.Finished = m.now()
	return rep, nil
}

// run attempts every account in ids, Concurrency at a time.
func (m *Manager) run(ctx context.Context, ids []string, opt RunOptions, decide decideFunc) *Report {
	rep := &Report{Started: m.now(), Results: make([]Result, len(ids))}
	m.forEach(ctx, len(ids), func(i int) {
		rep.Results[i] = m.attempt(ctx, ids[i], decide, opt)
	})
	rep.Finished = m.now()
	return rep
}

func (m *Manager) selectIDs(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) > 0 {
		return ids, nil
	}
	all, err := m.store.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	ids = make([]string, len(all))
	for i, a := range all {
		ids[i] = a.ID
	}
	return ids, nil
}

// forEach calls fn(0..n-1) with at most Concurrency calls in flight.
func (m *Manager) forEach(ctx context.Context, n int, fn func(i int)) {
	workers := min(max(m.Concurrency, 1), n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func (m *Manager) lease() time.Duration {
	if m.Lease > 0 {
		return m.Lease
	}
	return 5 * time.Minute
}

// attempt handles one account: under its lease, it re-reads the account
// (another process may just have refreshed it), decides, and acts.
func (m *Manager) attempt(ctx context.Context, id string, decide decideFunc, opt RunOptions) Result {
	if !opt.DryRun {
		if err := m.store.AcquireLease(ctx, id, m.Owner, m.now(), m.now().Add(m.lease())); err != nil {
			return errorResult(id, fmt.Errorf("lease account %s: %w", id, err))
		}
		defer m.release(ctx, id)
	}
	a, err := m.store.Account(ctx, id)
	if err != nil {
		return errorResult(id, err)
	}
	return m.decideAndAct(ctx, a, decide, opt)
}

// decideAndAct decides what to do with a, read under its lease, and does it.
func (m *Manager) decideAndAct(ctx context.Context, a *Account, decide decideFunc, opt RunOptions) Result {
	now := m.now()
	d := decide(a, now)
	res := Result{AccountID: a.ID, Username: a.Username, Action: d.Action, Reason: d.Reason,
		OldExpiresAt: timePtr(a.Token.ExpiresAt)}
	switch {
	case d.Action == ActionSkip:
		res.Outcome = ResultSkipped
		if !opt.DryRun {
			m.reschedule(ctx, a, now)
		}
		return res
	case opt.DryRun:
		res.Outcome = "would_" + string(d.Action)
		return res
	}
	return m.renew(ctx, a, d.Action, opt.Trigger, res)
}

// release ends this process's lease on account id.
func (m *Manager) release(ctx context.Context, id string) {
	if err := m.store.ReleaseLease(context.WithoutCancel(ctx), id, m.Owner); err != nil {
		m.logger().Warn("release lease", "account_id", id, "err", err)
	}
}

func errorResult(id string, err error) Result {
	res := Result{AccountID: id, Action: ActionSkip, Outcome: ResultFailed, Reason: err.Error(), Error: err.Error(), Err: err}
	if errors.Is(err, ErrLeased) {
		res.Outcome, res.Error, res.Err = ResultSkipped, "", nil
	}
	return res
}

// reschedule moves NextRefreshAt of a skipped account to when it is next
// worth a look, so the daemon does not claim it on every pass.
func (m *Manager) reschedule(ctx context.Context, a *Account, now time.Time) {
	next := m.nextRefresh(a.ID, a.Token, now)
	if !next.After(now) {
		next = now.Add(time.Hour)
	}
	if d := next.Sub(a.Status.NextRefreshAt); d > -time.Minute && d < time.Minute {
		return
	}
	st := a.Status
	st.NextRefreshAt = next
	if err := m.store.UpdateStatus(ctx, a.ID, a.Token.Version, st); err != nil && !errors.Is(err, ErrConflict) {
		m.logger().Warn("reschedule", "account_id", a.ID, "err", err)
	}
}

// renew refreshes or converts a's token and stores the result.
func (m *Manager) renew(ctx context.Context, a *Account, action Action, trigger Trigger, res Result) Result {
	var tok Token
	var err error
	if action == ActionConvert {
		tok, err = m.exchange(ctx, a.Token.Value)
	} else {
		tok, err = m.refresh(ctx, a.Token.Value)
	}
	if err != nil && ctx.Err() != nil {
		// Interrupted (shutdown): not the account's fault; record nothing.
		res.Outcome, res.Error, res.Err = ResultFailed, "interrupted: "+ctx.Err().Error(), ctx.Err()
		return res
	}
	if err != nil {
		return m.fail(ctx, a, trigger, err, res)
	}
	// Meta has issued the token: store it even if ctx ends now, or it is lost.
	ctx = context.WithoutCancel(ctx)
	now := m.now()
	st := a.Status
	st.LastError, st.Failures, st.LastRefreshedAt = "", 0, now
	st.RefreshCount++
	st.NextRefreshAt = m.nextRefresh(a.ID, tok, now)
	if _, err := m.store.UpdateToken(ctx, a.ID, a.Token.Version, tok, st); err != nil {
		return m.lost(a, err, res)
	}
	outcome := map[Action]Outcome{ActionRefresh: OutcomeRefreshed, ActionConvert: OutcomeConverted}[action]
	m.record(ctx, &HistoryEntry{AccountID: a.ID, Trigger: trigger, Outcome: outcome,
		OldExpiresAt: a.Token.ExpiresAt, NewExpiresAt: tok.ExpiresAt, Fingerprint: tok.Fingerprint()})
	m.logger().Info(fmt.Sprintf("Instagram token refreshed for channel %s, expires at %s", a.Label(), stamp(tok.ExpiresAt)),
		"account_id", a.ID, "fingerprint", tok.Fingerprint(), "trigger", string(trigger))
	m.notify(ctx, Event{Type: EventRefreshed, AccountID: a.ID, Username: a.Username, ExpiresAt: tok.ExpiresAt})
	res.Outcome = string(outcome)
	res.NewExpiresAt = timePtr(tok.ExpiresAt)
	return res
}

// lost reports a token write that failed after Meta answered.
func (m *Manager) lost(a *Account, err error, res Result) Result {
	if errors.Is(err, ErrConflict) {
		res.Outcome = ResultConflict
		res.Reason = "another process changed the token meanwhile; its token was kept"
		return res
	}
	err = fmt.Errorf("store the new token: %w", err)
	m.logger().Error("store refreshed token", "account_id", a.ID, "err", err)
	res.Outcome, res.Error, res.Err = ResultFailed, err.Error(), err
	return res
}

// refresh extends a long-lived token (§1.5). The new string and expiry come
// from the response: whatever string comes back is the one stored.
func (m *Manager) refresh(ctx context.Context, value string) (Token, error) {
	var long *graph.LongLivedToken
	err := m.Retry.do(ctx, func() (err error) {
		long, err = m.graph.RefreshLongLived(ctx, value)
		return err
	})
	if err != nil {
		return Token{}, err
	}
	now := m.now()
	return Token{Value: long.AccessToken, Kind: LongLived, IssuedAt: now, ExpiresAt: now.Add(long.ExpiresIn)}, nil
}

// fail records a failed attempt. A permanent failure (§3.3) marks the
// account needs_reconnect and notifies once; a transient one keeps the
// token and state and schedules a retry with backoff.
func (m *Manager) fail(ctx context.Context, a *Account, trigger Trigger, cause error, res Result) Result {
	ctx = context.WithoutCancel(ctx)
	now := m.now()
	st := a.Status
	st.Failures++
	st.LastError = cause.Error()
	outcome := OutcomeFailed
	if graph.NeedsReconnect(cause) {
		outcome = OutcomeNeedsReconnect
		st.NeedsReconnect, st.ReconnectReason = true, graph.ReconnectReason(cause)
	} else {
		st.NextRefreshAt = now.Add(RetryAfter(st.Failures, a.Token, now))
	}
	if err := m.store.UpdateStatus(ctx, a.ID, a.Token.Version, st); err != nil {
		return m.lost(a, err, res)
	}
	h := &HistoryEntry{AccountID: a.ID, Trigger: trigger, Outcome: outcome, Error: cause.Error(),
		OldExpiresAt: a.Token.ExpiresAt, Fingerprint: a.Token.Fingerprint()}
	var ge *graph.Error
	if errors.As(cause, &ge) {
		h.GraphCode, h.GraphSubcode = ge.Code, ge.Subcode
	}
	m.record(ctx, h)
	m.announceFailure(ctx, a, st, cause)
	res.Outcome, res.Error, res.Err = string(outcome), cause.Error(), cause
	return res
}

// announceFailure logs a failure and notifies on state changes only: the
// first failure of a streak, or the move to needs_reconnect.
func (m *Manager) announceFailure(ctx context.Context, a *Account, st Status, cause error) {
	log := m.logger().With("account_id", a.ID, "fingerprint", a.Token.Fingerprint(), "err", cause)
	if st.NeedsReconnect {
		log.Error("All token refresh methods failed", "reason", st.ReconnectReason)
		m.notify(ctx, Event{Type: EventNeedsReconnect, AccountID: a.ID, Username: a.Username,
			ExpiresAt: a.Token.ExpiresAt, Reason: st.ReconnectReason})
		return
	}
	log.Warn("token refresh failed", "failures", st.Failures, "next_attempt", st.NextRefreshAt)
	if st.Failures == 1 {
		m.notify(ctx, Event{Type: EventRefreshFailed, AccountID: a.ID, Username: a.Username,
			ExpiresAt: a.Token.ExpiresAt, Reason: cause.Error()})
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Second)
	return &t
}
