package igtoken_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/testenv"
)

// env is a Manager over a real SQLite store and the emulator over real HTTP.
type env struct {
	url    string // the emulator's base URL
	emu    *emulator.Server
	mgr    *igtoken.Manager
	store  igtoken.Store
	events *recorder
}

func newEnv(tb testing.TB, cfg emulator.Config) *env {
	tb.Helper()
	emu := emulator.New(cfg)
	srv := httptest.NewServer(emu)
	tb.Cleanup(srv.Close)
	store := testenv.Store(tb)
	m := testenv.Manager(store, testenv.Client(srv.URL, emulator.DefaultRedirectURI), emu)
	events := &recorder{}
	m.Notifier = events
	return &env{url: srv.URL, emu: emu, mgr: m, store: store, events: events}
}

// login connects username through the real code flow.
func (e *env) login(tb testing.TB, username string) *igtoken.Account {
	tb.Helper()
	code := e.emu.IssueCode(username, emulator.DefaultRedirectURI)
	res, err := e.mgr.Login(tb.Context(), code+"#_")
	if err != nil {
		tb.Fatalf("Login(%s): %v", username, err)
	}
	return res.Account
}

func (e *env) account(tb testing.TB, id string) *igtoken.Account {
	tb.Helper()
	a, err := e.store.Account(tb.Context(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

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

func (r *recorder) count(typ igtoken.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestManager_Login(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	before := e.emu.Now()
	a := e.login(t, "alice")
	user, _ := e.emu.User("alice")
	if a.ID != user.InstagramID || a.AppScopedID != user.AppScopedID || a.Username != "alice" {
		t.Errorf("identity = (%s, %s, %s), want (%s, %s, alice)", a.ID, a.AppScopedID, a.Username, user.InstagramID, user.AppScopedID)
	}
	got := e.account(t, a.ID)
	if got.Token.Kind != igtoken.LongLived {
		t.Errorf("kind = %s, want long-lived", got.Token.Kind)
	}
	// The expiry is now + expires_in from the response (5183944 s, §1.4), not a constant.
	want := before.Add(5183944 * time.Second)
	if d := got.Token.ExpiresAt.Sub(want); d < -2*time.Second || d > 2*time.Second {
		t.Errorf("expires_at = %v, want about %v", got.Token.ExpiresAt, want)
	}
	if !e.emu.TokenValid(got.Token.Value) {
		t.Error("stored token is not valid at the emulator")
	}
	if n := e.events.count(igtoken.EventConnected); n != 1 {
		t.Errorf("%d connected events, want 1", n)
	}
	h, err := e.mgr.History(t.Context(), a.ID, 0)
	if err != nil || len(h) != 1 || h[0].Outcome != igtoken.OutcomeConnected {
		t.Errorf("history = %+v, %v; want one connected entry", h, err)
	}
}

func TestManager_Login_BadCodeStoresNothing(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	code := e.emu.IssueCode("bob", emulator.DefaultRedirectURI)
	e.login(t, "alice")
	if _, err := e.mgr.Login(t.Context(), code); err != nil {
		t.Fatal(err)
	}
	for _, input := range []string{code, "not-a-code", ""} {
		if _, err := e.mgr.Login(t.Context(), input); err == nil {
			t.Errorf("Login(%q) succeeded, want an error", input)
		}
	}
	all, _ := e.store.Accounts(t.Context())
	if len(all) != 2 {
		t.Errorf("%d accounts stored, want 2", len(all))
	}
}

func TestManager_Login_ExchangeFailsStoresShortLived(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	e.emu.FailNext(emulator.EndpointIGExchangeToken, 3, emulator.Fault{Status: 500, Code: 2, Message: "An unexpected error has occurred."})
	code := e.emu.IssueCode("carol", emulator.DefaultRedirectURI)
	res, err := e.mgr.Login(t.Context(), code)
	if err != nil {
		t.Fatal(err)
	}
	if res.ConvertErr == nil || res.Account.Token.Kind != igtoken.ShortLived {
		t.Fatalf("ConvertErr = %v, kind = %s; want an error and a short-lived token", res.ConvertErr, res.Account.Token.Kind)
	}
	rep, err := e.mgr.Convert(t.Context(), igtoken.RunOptions{Trigger: igtoken.TriggerCLI})
	if err != nil || rep.Count(igtoken.ResultConverted) != 1 {
		t.Fatalf("Convert: %+v, %v; want one converted", rep, err)
	}
	if got := e.account(t, res.Account.ID); got.Token.Kind != igtoken.LongLived {
		t.Errorf("after convert kind = %s", got.Token.Kind)
	}
}

func TestManager_Refresh(t *testing.T) {
	e := newEnv(t, emulator.Config{RefreshRotates: true})
	a := e.login(t, "alice")
	old := e.account(t, a.ID)

	rep := e.refresh(t, igtoken.RunOptions{Force: true})
	if r := rep.Results[0]; r.Outcome != igtoken.ResultSkipped {
		t.Errorf("a new token: outcome %s (%s), want skipped (too young even when forced)", r.Outcome, r.Reason)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 0 {
		t.Errorf("%d refresh calls for a young token, want 0", n)
	}

	e.emu.Advance(31 * day)
	rep = e.refresh(t, igtoken.RunOptions{})
	if r := rep.Results[0]; r.Outcome != igtoken.ResultRefreshed {
		t.Fatalf("after 31 days: outcome %s (%s %s), want refreshed", r.Outcome, r.Reason, r.Error)
	}
	got := e.account(t, a.ID)
	if got.Token.Value == old.Token.Value {
		t.Error("the rotated token string was not stored")
	}
	if want := e.emu.Now().Add(60 * day); got.Token.ExpiresAt.Sub(want).Abs() > 2*time.Second {
		t.Errorf("new expiry %v, want about %v", got.Token.ExpiresAt, want)
	}
	if got.Status.RefreshCount != 1 || got.Status.LastRefreshedAt.IsZero() || got.Token.Version <= old.Token.Version {
		t.Errorf("status after refresh = %+v, version %d", got.Status, got.Token.Version)
	}
}

func (e *env) refresh(tb testing.TB, opt igtoken.RunOptions) *igtoken.Report {
	tb.Helper()
	rep, err := e.mgr.Refresh(tb.Context(), opt)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func TestManager_Refresh_Revoked(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	e.emu.Advance(31 * day)
	e.emu.Revoke("alice", 460)

	rep := e.refresh(t, igtoken.RunOptions{})
	r := rep.Results[0]
	if r.Outcome != igtoken.ResultNeedsReconnect || rep.Failed() != 1 {
		t.Fatalf("outcome %s, failed %d; want needs_reconnect, 1", r.Outcome, rep.Failed())
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 1 {
		t.Errorf("%d refresh calls, want exactly 1 (a 190 is never retried)", n)
	}
	got := e.account(t, a.ID)
	if !got.Status.NeedsReconnect || got.Status.ReconnectReason == "" {
		t.Errorf("status = %+v, want needs reconnect with a reason", got.Status)
	}
	if _, err := e.mgr.Token(t.Context(), a.ID); !errors.Is(err, igtoken.ErrReauthRequired) {
		t.Errorf("Token() error = %v, want ErrReauthRequired", err)
	}

	e.refresh(t, igtoken.RunOptions{})
	if n := e.events.count(igtoken.EventNeedsReconnect); n != 1 {
		t.Errorf("%d needs_reconnect events after two runs, want 1", n)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 1 {
		t.Errorf("%d refresh calls after a second run, want still 1", n)
	}

	e.login(t, "alice")
	if got := e.account(t, a.ID); got.Status.NeedsReconnect {
		t.Error("a new login did not clear needs_reconnect")
	}
	if n := e.events.count(igtoken.EventRecovered); n != 1 {
		t.Errorf("%d recovered events, want 1", n)
	}
}

func TestManager_Refresh_Transient(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	e.emu.Advance(31 * day)
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 2, emulator.Fault{Status: 500, Code: 1, Message: "An unknown error occurred", IsTransient: true})
	if r := e.refresh(t, igtoken.RunOptions{}).Results[0]; r.Outcome != igtoken.ResultRefreshed {
		t.Fatalf("two transient failures then success: outcome %s (%s)", r.Outcome, r.Error)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 3 {
		t.Errorf("%d refresh calls, want 3", n)
	}

	e.emu.Advance(31 * day)
	mid := e.account(t, a.ID)
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 6, emulator.Fault{Status: 403, Code: 4, Message: "(#4) Application request limit reached"})
	for range 2 {
		if r := e.refresh(t, igtoken.RunOptions{Force: true}).Results[0]; r.Outcome != igtoken.ResultFailed {
			t.Fatalf("throttled: outcome %s, want failed", r.Outcome)
		}
	}
	got := e.account(t, a.ID)
	if got.Token.Value != mid.Token.Value || got.Token.Version != mid.Token.Version || got.Status.NeedsReconnect {
		t.Error("a transient failure changed the token or marked the account")
	}
	if got.Status.Failures != 2 || got.Status.LastError == "" || !got.Status.NextRefreshAt.After(e.emu.Now()) {
		t.Errorf("status = %+v, want 2 failures, an error and a later retry", got.Status)
	}
	if n := e.events.count(igtoken.EventRefreshFailed); n != 1 {
		t.Errorf("%d refresh_failed events for one streak, want 1", n)
	}
}

func TestManager_Refresh_OneFailureDoesNotStopTheBatch(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	for _, u := range []string{"a1", "a2", "a3", "a4"} {
		e.login(t, u)
	}
	e.emu.Advance(31 * day)
	e.emu.Revoke("a2", 458)
	rep := e.refresh(t, igtoken.RunOptions{})
	if rep.Count(igtoken.ResultRefreshed) != 3 || rep.Failed() != 1 {
		t.Errorf("refreshed %d, failed %d; want 3 and 1", rep.Count(igtoken.ResultRefreshed), rep.Failed())
	}
}

func TestManager_Refresh_DryRunChangesNothing(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	e.emu.Advance(31 * day)
	before := e.account(t, a.ID)
	rep := e.refresh(t, igtoken.RunOptions{DryRun: true})
	if r := rep.Results[0]; r.Outcome != igtoken.ResultWouldRefresh || r.Reason == "" {
		t.Errorf("dry run: %+v", r)
	}
	after := e.account(t, a.ID)
	if after.Token.Version != before.Token.Version || e.emu.Calls(emulator.EndpointIGRefreshToken) != 0 {
		t.Error("a dry run called Meta or wrote the store")
	}
}

func TestManager_Refresh_LeasedElsewhereIsSkipped(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	e.emu.Advance(31 * day)
	now := e.emu.Now()
	if err := e.store.AcquireLease(t.Context(), a.ID, "other-replica", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if r := e.refresh(t, igtoken.RunOptions{}).Results[0]; r.Outcome != igtoken.ResultSkipped {
		t.Errorf("outcome %s, want skipped while another process holds the lease", r.Outcome)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 0 {
		t.Errorf("%d refresh calls, want 0", n)
	}
}

func TestManager_RefreshDue(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	for _, u := range []string{"a1", "a2", "a3"} {
		e.login(t, u)
	}
	rep, err := e.mgr.RefreshDue(t.Context(), 100, igtoken.TriggerServe)
	if err != nil || len(rep.Results) != 0 {
		t.Fatalf("fresh tokens: %d claimed (%v), want 0", len(rep.Results), err)
	}
	// Past the window plus the largest spread (a sixth of 30 days).
	e.emu.Advance(36 * day)
	rep, err = e.mgr.RefreshDue(t.Context(), 100, igtoken.TriggerServe)
	if err != nil || rep.Count(igtoken.ResultRefreshed) != 3 {
		t.Fatalf("due tokens: %+v, %v; want 3 refreshed", rep, err)
	}
}

func TestManager_Validate(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	if u, err := e.mgr.Validate(t.Context(), a.ID); err != nil || u.Username != "alice" {
		t.Fatalf("Validate = %+v, %v", u, err)
	}
	e.emu.Revoke("alice", 460)
	if _, err := e.mgr.Validate(t.Context(), a.ID); !errors.Is(err, igtoken.ErrReauthRequired) {
		t.Fatalf("Validate after revoke: %v, want ErrReauthRequired", err)
	}
	if !e.account(t, a.ID).Status.NeedsReconnect {
		t.Error("a 190 from validate did not mark the account")
	}
}

func TestManager_Resolve(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	if _, err := e.mgr.Resolve(t.Context(), ""); !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("no accounts: %v, want ErrNotFound", err)
	}
	a := e.login(t, "alice")
	for _, ref := range []string{"", a.ID, "alice", "@Alice"} {
		if got, err := e.mgr.Resolve(t.Context(), ref); err != nil || got.ID != a.ID {
			t.Errorf("Resolve(%q) = %v, %v", ref, got, err)
		}
	}
	e.login(t, "bob")
	if _, err := e.mgr.Resolve(t.Context(), ""); !errors.Is(err, igtoken.ErrAccountRequired) {
		t.Errorf("two accounts: %v, want ErrAccountRequired", err)
	}
	if _, err := e.mgr.Resolve(t.Context(), "nobody"); !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("unknown: %v, want ErrNotFound", err)
	}
}

func TestManager_Statuses(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	st, err := e.mgr.Statuses(t.Context())
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	s := st[0]
	if s.AccountID != a.ID || s.State != igtoken.StateOK || s.TokenKind != igtoken.LongLived ||
		s.DaysLeft == nil || *s.DaysLeft < 59 || s.NextRefreshAt == nil || s.LastError != nil {
		t.Errorf("status = %+v", s)
	}
}

// The ideal throughput is accounts × latency ÷ concurrency; the benchmark
// reports the achieved fraction of it (issue 2 asks for > 0.9).
func BenchmarkManager_RefreshThroughput(b *testing.B) {
	for _, bc := range []struct{ accounts, concurrency int }{{400, 8}, {10_000, 64}} {
		b.Run(fmt.Sprintf("accounts=%d/concurrency=%d", bc.accounts, bc.concurrency), func(b *testing.B) {
			benchmarkThroughput(b, bc.accounts, bc.concurrency, 50*time.Millisecond)
		})
	}
}

func benchmarkThroughput(b *testing.B, accounts, concurrency int, latency time.Duration) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, emulator.Config{})
		seed(b, e, accounts)
		e.emu.Advance(36 * day)
		e.emu.SetLatency(latency)
		e.mgr.Concurrency = concurrency
		b.StartTimer()
		start := time.Now()
		rep := e.refresh(b, igtoken.RunOptions{Trigger: igtoken.TriggerCron})
		elapsed := time.Since(start)
		if n := rep.Count(igtoken.ResultRefreshed); n != accounts {
			b.Fatalf("refreshed %d of %d", n, accounts)
		}
		ideal := time.Duration(accounts) * latency / time.Duration(concurrency)
		b.ReportMetric(float64(ideal)/float64(elapsed), "ideal-fraction")
	}
}

// seed stores n long-lived accounts issued by the emulator, without the
// cost of n logins.
func seed(tb testing.TB, e *env, n int) {
	tb.Helper()
	now := e.emu.Now()
	for i := range n {
		name := "user" + strconv.Itoa(i)
		u := e.emu.AddUser(name)
		tok := e.emu.IssueToken(name, true)
		a := &igtoken.Account{ID: u.InstagramID, AppScopedID: u.AppScopedID, Username: name,
			Token: igtoken.Token{Value: tok, Kind: igtoken.LongLived, IssuedAt: now, ExpiresAt: now.Add(60 * day)}}
		if err := e.store.PutAccount(tb.Context(), a, 0); err != nil {
			tb.Fatal(err)
		}
	}
}
