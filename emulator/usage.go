package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// Rate limiting (§4). Every Graph answer carries X-App-Usage, the app's
// calls in the last hour as a percentage of Config.AppCallBudget, and,
// once the caller is known, X-Business-Use-Case-Usage, the Instagram
// account's calls in the last 24 h as a percentage of
// Config.AccountCallBudget. At 100 % or more the app gets code 4 (HTTP 403)
// and the account code 80002 (HTTP 400). Throttled calls count too: "Continuing
// to make calls will continue to increase your call count" (§4).

const (
	appWindow     = time.Hour      // Platform limit: calls within one hour (§4)
	accountWindow = 24 * time.Hour // Instagram BUC: calls within 24 hours (§4)
	forcedFor     = time.Hour      // how long SetUsage figures hold
)

// msgAccountThrottled is code 80002's message (§4, §3.1).
const msgAccountThrottled = "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again."

// Usage header names (§4).
const (
	headerAppUsage = "X-App-Usage"
	headerBUCUsage = "X-Business-Use-Case-Usage"
)

// usage is the call counts behind the headers. s.mu guards it.
type usage struct {
	app      callLog
	accounts map[string]*callLog // by InstagramID
	// forcedApp and forcedAccount are SetUsage's figures, -1 for none.
	// They hold until forcedUntil.
	forcedApp, forcedAccount int
	forcedUntil              time.Time
}

func newUsage() usage {
	return usage{accounts: make(map[string]*callLog), forcedApp: -1, forcedAccount: -1}
}

// callLog counts calls per emulated minute, so that memory stays bounded
// however many calls are made.
type callLog map[int64]int // Unix minute → calls

// add counts a call at now in a window of span.
func (c *callLog) add(now time.Time, span time.Duration) {
	if *c == nil {
		*c = make(callLog)
	}
	m := now.Unix() / 60
	if _, ok := (*c)[m]; !ok { // a new minute: forget the ones out of the window
		for k := range *c {
			if !live(k, now, span) {
				delete(*c, k)
			}
		}
	}
	(*c)[m]++
}

// live reports whether minute k still has calls in the window of span
// ending at now. A minute counts whole until its last second leaves.
func live(k int64, now time.Time, span time.Duration) bool {
	return (k+1)*60 > now.Add(-span).Unix()
}

// count returns the calls within span of now.
func (c callLog) count(now time.Time, span time.Duration) int {
	n := 0
	for k, v := range c {
		if live(k, now, span) {
			n += v
		}
	}
	return n
}

// regain returns the whole minutes until fewer than budget calls are left
// within span: estimated_time_to_regain_access (§4). It is 0 when the
// count is already under budget or there is no budget.
func (c callLog) regain(now time.Time, span time.Duration, budget int) int {
	n := c.count(now, span)
	if budget <= 0 || n < budget {
		return 0
	}
	keys := make([]int64, 0, len(c))
	for k := range c {
		if live(k, now, span) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if n -= c[k]; n < budget {
			// Minute k's last call leaves at (k+1) min + span.
			return ceilMinutes(time.Unix((k+1)*60, 0).Add(span).Sub(now))
		}
	}
	return ceilMinutes(span)
}

// ceilMinutes rounds d up to whole minutes, at least 1.
func ceilMinutes(d time.Duration) int {
	return max(1, int((d+time.Minute-1)/time.Minute))
}

// percent is calls as a whole percentage of budget; no budget reads 0.
func percent(calls, budget int) int {
	if budget <= 0 {
		return 0
	}
	return calls * 100 / budget
}

// SetUsage forces the usage figures the headers report (§4): appPct in
// X-App-Usage and accountPct in every account's X-Business-Use-Case-Usage.
// At 100 or more calls are throttled: code 4 for the app, 80002 for an
// account. Forced figures hold for one hour of emulated time, which
// estimated_time_to_regain_access counts down, and then the figures
// computed from Config.AppCallBudget and Config.AccountCallBudget return. A
// negative figure leaves that one computed; SetUsage(-1, -1) ends forcing.
func (s *Server) SetUsage(appPct, accountPct int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage.forcedApp, s.usage.forcedAccount = max(appPct, -1), max(accountPct, -1)
	s.usage.forcedUntil = s.Now().Add(forcedFor)
}

// forcedLocked returns a forced figure, if one holds at now, and the
// minutes left. s.mu must be held.
func (s *Server) forcedLocked(figure int, now time.Time) (pct, minutes int, ok bool) {
	if figure < 0 || !now.Before(s.usage.forcedUntil) {
		return 0, 0, false
	}
	return figure, ceilMinutes(s.usage.forcedUntil.Sub(now)), true
}

// appUsageLocked returns the app's usage percentage at now. s.mu must be
// held.
func (s *Server) appUsageLocked(now time.Time) int {
	if pct, _, ok := s.forcedLocked(s.usage.forcedApp, now); ok {
		return pct
	}
	return percent(s.usage.app.count(now, appWindow), s.cfg.AppCallBudget)
}

// accountUsageLocked returns an account's usage percentage at now and the
// minutes until it is under 100 %. s.mu must be held.
func (s *Server) accountUsageLocked(igID string, now time.Time) (pct, regain int) {
	if pct, minutes, ok := s.forcedLocked(s.usage.forcedAccount, now); ok {
		if pct < 100 {
			minutes = 0
		}
		return pct, minutes
	}
	c := s.usage.accounts[igID]
	if c == nil {
		return 0, 0
	}
	return percent(c.count(now, accountWindow), s.cfg.AccountCallBudget),
		c.regain(now, accountWindow, s.cfg.AccountCallBudget)
}

// appUsage is X-App-Usage (§4): whole percentages.
type appUsage struct {
	CallCount    int `json:"call_count"`
	TotalTime    int `json:"total_time"`
	TotalCPUTime int `json:"total_cputime"`
}

// bucUsage is one entry of X-Business-Use-Case-Usage (§4); the time to
// regain access is in minutes.
type bucUsage struct {
	Type         string `json:"type"`
	CallCount    int    `json:"call_count"`
	TotalCPUTime int    `json:"total_cputime"`
	TotalTime    int    `json:"total_time"`
	RegainAccess int    `json:"estimated_time_to_regain_access"`
}

// meterApp counts a Graph call against the app, sets X-App-Usage and
// returns code 4 if the app was at 100 % or more before the call (§4): a
// budget of n allows n calls, and the header of the nth reads 100.
func (s *Server) meterApp(w http.ResponseWriter) *apiError {
	s.mu.Lock()
	now := s.Now()
	before := s.appUsageLocked(now)
	s.usage.app.add(now, appWindow)
	pct := s.appUsageLocked(now)
	s.mu.Unlock()
	// The emulator spends no time, so call count stands for all three.
	setJSONHeader(w, headerAppUsage, appUsage{pct, pct, pct})
	if before >= 100 {
		return &apiError{Type: "OAuthException", Code: 4, Message: defaultMessage(4, 0), IsTransient: true}
	}
	return nil
}

// meterAccount counts a Graph call against u's Instagram account, sets
// X-Business-Use-Case-Usage keyed by its id and returns code 80002 if the
// account was at 100 % or more before the call (§4).
func (s *Server) meterAccount(w http.ResponseWriter, u User) *apiError {
	s.mu.Lock()
	now := s.Now()
	before, _ := s.accountUsageLocked(u.InstagramID, now)
	c := s.usage.accounts[u.InstagramID]
	if c == nil {
		c = new(callLog)
		s.usage.accounts[u.InstagramID] = c
	}
	c.add(now, accountWindow)
	pct, regain := s.accountUsageLocked(u.InstagramID, now)
	s.mu.Unlock()
	setJSONHeader(w, headerBUCUsage, map[string][]bucUsage{
		u.InstagramID: {{Type: "instagram", CallCount: pct, TotalCPUTime: pct, TotalTime: pct, RegainAccess: regain}},
	})
	if before >= 100 {
		return &apiError{Type: "OAuthException", Code: 80002, Message: msgAccountThrottled}
	}
	return nil
}

func setJSONHeader(w http.ResponseWriter, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("emulator: encode " + name + ": " + err.Error()) // plain structs: cannot fail
	}
	w.Header().Set(name, string(b))
}
