package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igtoken/igtoken/emulator"
)

// env is one igtoken installation under test: a temporary data directory,
// an emulator behind a real HTTP server, and the environment pointing at
// them. Every run of Main is kept, for the secret-hygiene test.
type env struct {
	t    *testing.T
	emu  *emulator.Server
	url  string
	dir  string
	vars map[string]string

	tokens *tokenRecorder

	mu   sync.Mutex
	runs []run
}

type run struct {
	args           []string
	code           int
	stdout, stderr string
}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, emulator.Config{})
}

func newEnvWith(t *testing.T, cfg emulator.Config) *env {
	t.Helper()
	emu := emulator.New(cfg)
	rec := &tokenRecorder{seen: map[string]bool{}}
	srv := httptest.NewServer(rec.wrap(emu))
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close) // runs first: releases hung requests
	dir := t.TempDir()
	return &env{
		t:      t,
		emu:    emu,
		url:    srv.URL,
		dir:    dir,
		tokens: rec,
		vars: map[string]string{
			"HOME":                  filepath.Join(dir, "home"),
			"IGTOKEN_DATA_DIR":      filepath.Join(dir, "data"),
			"IGTOKEN_META_BASE_URL": srv.URL,
			"IGTOKEN_APP_ID":        emulator.DefaultAppID,
			"IGTOKEN_APP_SECRET":    emulator.DefaultAppSecret,
		},
	}
}

func (e *env) getenv(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[k]
}

func (e *env) set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v == "" {
		delete(e.vars, k)
		return
	}
	e.vars[k] = v
}

// run runs igtoken with args and empty standard input.
func (e *env) run(args ...string) run { return e.runIn("", args...) }

func (e *env) runIn(stdin string, args ...string) run {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, e.getenv)
	r := run{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
	e.mu.Lock()
	e.runs = append(e.runs, r)
	e.mu.Unlock()
	return r
}

// ok runs igtoken and fails the test unless it exits 0.
func (e *env) ok(args ...string) run {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("igtoken %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fail runs igtoken and fails the test unless it exits with code.
func (e *env) fail(code int, args ...string) run {
	e.t.Helper()
	r := e.run(args...)
	if r.code != code {
		e.t.Fatalf("igtoken %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

// redirect opens an authorization URL as a browser would and returns
// where the emulator sends the user: the redirect URL with the code.
func (e *env) redirect(authURL, username string) string {
	e.t.Helper()
	if username != "" {
		authURL += "&emulator_user=" + url.QueryEscape(username)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		e.t.Fatalf("GET authorization URL: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("GET authorization URL: status %d, want 302", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, emulator.DefaultRedirectURI+"?") {
		e.t.Fatalf("redirect to %q, want %s?…", loc, emulator.DefaultRedirectURI)
	}
	return loc
}

// authURL runs auth-url and returns the URL it printed.
func (e *env) authURL() string {
	e.t.Helper()
	return strings.TrimSpace(e.ok("auth-url").stdout)
}

// connect logs username in through auth-url and authenticate with the whole
// redirect URL, and returns the account id.
func (e *env) connect(username string) string {
	e.t.Helper()
	e.ok("authenticate", "--code", e.redirect(e.authURL(), username))
	u, ok := e.emu.User(username)
	if !ok {
		e.t.Fatalf("emulator has no user %s", username)
	}
	return u.InstagramID
}

// statusRow is one object of `status --json`.
type statusRow struct {
	AccountID       string     `json:"account_id"`
	Username        string     `json:"username"`
	TokenKind       string     `json:"token_kind"`
	State           string     `json:"state"`
	ExpiresAt       *time.Time `json:"expires_at"`
	IssuedAt        *time.Time `json:"issued_at"`
	LastRefreshedAt *time.Time `json:"last_refreshed_at"`
	NextRefreshAt   *time.Time `json:"next_refresh_at"`
	DaysLeft        *float64   `json:"days_left"`
	RefreshCount    int        `json:"refresh_count"`
	LastError       *string    `json:"last_error"`
}

func (e *env) status() []statusRow {
	e.t.Helper()
	r := e.ok("status", "--json")
	var rows []statusRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		e.t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return rows
}

func (e *env) statusOf(username string) statusRow {
	e.t.Helper()
	for _, row := range e.status() {
		if row.Username == username {
			return row
		}
	}
	e.t.Fatalf("status has no account %s", username)
	return statusRow{}
}

// runReport is the JSON of auto-refresh --json.
type runReport struct {
	Results []struct {
		AccountID string `json:"account_id"`
		Username  string `json:"username"`
		Action    string `json:"action"`
		Outcome   string `json:"outcome"`
		Reason    string `json:"reason"`
		Error     string `json:"error"`
	} `json:"results"`
	Counts map[string]int `json:"counts"`
	Failed int            `json:"failed"`
}

func parseReport(t *testing.T, s string) runReport {
	t.Helper()
	var rep runReport
	if err := json.Unmarshal([]byte(s), &rep); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, s)
	}
	return rep
}

func (rep runReport) outcomes() map[string]string {
	m := map[string]string{}
	for _, r := range rep.Results {
		m[r.Username] = r.Outcome
	}
	return m
}

// tokenRecorder learns every token the emulator hands out, from the bodies
// of its answers.
type tokenRecorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

var tokenPattern = regexp.MustCompile(`IGAA[0-9A-Za-z]{20,}`)

func (rec *tokenRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		rec.add(tw.body.String())
	})
}

func (rec *tokenRecorder) add(s string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, tok := range tokenPattern.FindAllString(s, -1) {
		rec.seen[tok] = true
	}
}

func (rec *tokenRecorder) all() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for tok := range rec.seen {
		out = append(out, tok)
	}
	return out
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func contains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}

// TestSeed000WalkThrough is seed 000's workflow: auth-url, authenticate,
// status, validate, refresh, then the refresh a month later, and token.
func TestSeed000WalkThrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// auth-url prints the URL on stdout and what to do next on stderr.
	r := e.ok("auth-url")
	authURL := strings.TrimSpace(r.stdout)
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("auth-url printed %q: %v", authURL, err)
	}
	q := u.Query()
	if u.Path != "/oauth/authorize" || q.Get("client_id") != emulator.DefaultAppID ||
		q.Get("redirect_uri") != emulator.DefaultRedirectURI || q.Get("response_type") != "code" || q.Get("state") == "" ||
		!strings.Contains(q.Get("scope"), "instagram_business_basic") {
		t.Errorf("auth-url printed %q", authURL)
	}
	contains(t, "auth-url stderr", r.stderr, "igtoken authenticate --code")
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("auth-url hint is not one line:\n%s", r.stderr)
	}
	if again := e.authURL(); again == authURL {
		t.Error("auth-url printed the same state twice")
	}

	// The three forms a user may paste: the bare code, the code with
	// Instagram's "#_", and the whole redirect URL.
	loc := e.redirect(authURL, "alice")
	code := mustQuery(t, loc, "code")
	r = e.ok("authenticate", "--code", code)
	alice, _ := e.emu.User("alice")
	want := "Connected alice (" + alice.InstagramID + "): long-lived token, expires "
	contains(t, "authenticate", r.stdout, want, "(60 days)")

	loc = e.redirect(e.authURL(), "alice")
	if !strings.HasSuffix(loc, "#_") {
		t.Errorf("emulator redirect %q does not end in #_", loc)
	}
	e.ok("authenticate", "--code", mustQuery(t, loc, "code")+"#_")
	r = e.ok("authenticate", "--code", e.redirect(e.authURL(), "alice"))
	contains(t, "authenticate", r.stdout, want)

	// status --json: the DESIGN.md fields.
	r = e.ok("status", "--json")
	var raw []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("status --json = %s (%v)", r.stdout, err)
	}
	var keys []string
	for k := range raw[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"account_id", "days_left", "expires_at", "issued_at", "last_error", "last_refreshed_at",
		"next_refresh_at", "refresh_count", "state", "token_kind", "username"}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("status --json keys = %v, want %v", keys, wantKeys)
	}
	row := e.statusOf("alice")
	if row.AccountID != alice.InstagramID || row.TokenKind != "long-lived" || row.State != "ok" ||
		row.ExpiresAt == nil || row.IssuedAt == nil || row.NextRefreshAt == nil || row.LastRefreshedAt != nil ||
		row.DaysLeft == nil || *row.DaysLeft < 59 || *row.DaysLeft > 60 || row.RefreshCount != 0 || row.LastError != nil {
		t.Errorf("status row = %+v", row)
	}
	r = e.ok("status")
	contains(t, "status", r.stdout, "ACCOUNT", "USERNAME", "KIND", "STATE", "EXPIRES", "DAYS LEFT",
		"LAST REFRESH", "NEXT REFRESH", "LAST ERROR", alice.InstagramID, "alice", "long-lived")

	// validate makes a live call.
	meCalls := e.emu.Calls(emulator.EndpointMe)
	r = e.ok("validate")
	contains(t, "validate", r.stdout, "alice: ok")
	if e.emu.Calls(emulator.EndpointMe) != meCalls+1 {
		t.Errorf("validate made %d /me calls, want 1", e.emu.Calls(emulator.EndpointMe)-meCalls)
	}

	// A new token is too young to refresh.
	r = e.ok("refresh")
	contains(t, "refresh", r.stdout, "alice: skipped — token is", "at least 24 h old", "0 refreshed, 1 skipped, 0 failed")
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 0 {
		t.Errorf("refresh called ig_refresh_token %d times, want 0", n)
	}

	// A month later the token is inside the 30-day window.
	before := e.ok("token").stdout
	e.emu.Advance(31 * 24 * time.Hour)
	r = e.ok("auto-refresh", "--dry-run", "--json")
	rep := parseReport(t, r.stdout)
	if rep.outcomes()["alice"] != "would_refresh" || rep.Counts["would_refresh"] != 1 || rep.Failed != 0 {
		t.Errorf("auto-refresh --dry-run --json = %s", r.stdout)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 0 {
		t.Errorf("dry run called ig_refresh_token %d times, want 0", n)
	}
	r = e.ok("auto-refresh")
	contains(t, "auto-refresh", r.stdout, "alice: refreshed — ", "1 refreshed, 0 skipped, 0 failed")
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 1 {
		t.Errorf("auto-refresh called ig_refresh_token %d times, want 1", n)
	}
	row = e.statusOf("alice")
	if row.RefreshCount != 1 || row.LastRefreshedAt == nil || *row.DaysLeft < 59 {
		t.Errorf("after auto-refresh, status row = %+v", row)
	}

	tok := strings.TrimSpace(e.ok("token").stdout)
	if !e.emu.TokenValid(tok) {
		t.Errorf("token printed a token the emulator does not accept")
	}
	if strings.TrimSpace(before) != tok {
		t.Errorf("token changed across a non-rotating refresh")
	}
	r = e.ok("history", "--json")
	var hist []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist) != 4 {
		t.Fatalf("history --json = %s (%v), want 4 entries", r.stdout, err)
	}
	if hist[0]["outcome"] != "refreshed" || hist[0]["trigger"] != "cron" || hist[0]["username"] != "alice" {
		t.Errorf("newest history entry = %v", hist[0])
	}
	r = e.ok("history", "--limit", "1")
	if n := strings.Count(strings.TrimSpace(r.stdout), "\n"); n != 1 {
		t.Errorf("history --limit 1 printed %d rows:\n%s", n, r.stdout)
	}

	r = e.ok("doctor")
	if !strings.HasSuffix(r.stdout, "\nready\n") {
		t.Errorf("doctor:\n%s", r.stdout)
	}
}

func mustQuery(t *testing.T, rawURL, key string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	v := u.Query().Get(key)
	if v == "" {
		t.Fatalf("%s has no %s", rawURL, key)
	}
	return v
}

// TestSeed003 runs seed 003's management commands on several accounts.
func TestSeed003(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceID := e.connect("alice")
	e.connect("bob")

	// carol's long-lived exchange fails at login: a short-lived token is
	// stored and authenticate says to convert.
	e.emu.FailNext(emulator.EndpointIGExchangeToken, 1, emulator.Fault{Code: 100, Message: "(#100) exchange unavailable"})
	r := e.fail(1, "authenticate", "--code", e.redirect(e.authURL(), "carol"))
	contains(t, "authenticate", r.stdout, "Connected carol", "short-lived token")
	contains(t, "authenticate stderr", r.stderr, "warning: a short-lived token", "igtoken convert")
	if row := e.statusOf("carol"); row.TokenKind != "short-lived" || row.State != "expiring" {
		t.Errorf("carol = %+v, want a short-lived, expiring token", row)
	}

	// convert --check-only changes nothing.
	exchanges := e.emu.Calls(emulator.EndpointIGExchangeToken)
	r = e.ok("convert", "--check-only")
	contains(t, "convert --check-only", r.stdout, "alice: skipped — already long-lived", "bob: skipped",
		"carol: would convert — short-lived token", "1 would convert, 2 skipped, 0 failed")
	if e.emu.Calls(emulator.EndpointIGExchangeToken) != exchanges {
		t.Error("convert --check-only called Instagram")
	}
	if e.statusOf("carol").TokenKind != "short-lived" {
		t.Error("convert --check-only converted")
	}

	r = e.ok("convert")
	contains(t, "convert", r.stdout, "carol: converted", "1 converted, 2 skipped, 0 failed")
	if row := e.statusOf("carol"); row.TokenKind != "long-lived" || row.State != "ok" {
		t.Errorf("after convert, carol = %+v", row)
	}

	// --channel-id is --account; --force converts a long-lived token too.
	r = e.ok("convert", "--channel-id", aliceID, "--force", "--check-only")
	if strings.TrimSpace(r.stdout) != "alice: would convert — forced; the token is already long-lived\n1 would convert, 0 skipped, 0 failed" {
		t.Errorf("convert --channel-id --force --check-only:\n%s", r.stdout)
	}
	r = e.ok("convert", "--channel-id="+aliceID, "--force")
	contains(t, "convert --force", r.stdout, "alice: converted", "1 converted, 0 skipped, 0 failed")
	r = e.ok("refresh", "--channel-id", "bob", "--check-only")
	contains(t, "refresh --channel-id bob", r.stdout, "bob: skipped")
	if strings.Contains(r.stdout, "alice") {
		t.Errorf("refresh --channel-id bob looked at alice:\n%s", r.stdout)
	}

	// Two days later nothing is due; --force-all refreshes every token.
	e.emu.Advance(48 * time.Hour)
	r = e.ok("auto-refresh", "--json")
	rep := parseReport(t, r.stdout)
	if rep.Counts["skipped"] != 3 || rep.Counts["refreshed"] != 0 {
		t.Errorf("auto-refresh = %s", r.stdout)
	}
	r = e.ok("auto-refresh", "--force-all", "--json")
	rep = parseReport(t, r.stdout)
	if rep.Counts["refreshed"] != 3 || rep.Failed != 0 {
		t.Errorf("auto-refresh --force-all = %s", r.stdout)
	}
	if n := e.emu.Calls(emulator.EndpointIGRefreshToken); n != 3 {
		t.Errorf("ig_refresh_token calls = %d, want 3", n)
	}

	// Two more days: 58 days left. A 3-day threshold skips, 59 refreshes.
	e.emu.Advance(48 * time.Hour)
	r = e.ok("auto-refresh", "--days-before-expiry", "3")
	contains(t, "auto-refresh --days-before-expiry 3", r.stdout, "0 refreshed, 3 skipped, 0 failed")
	r = e.ok("auto-refresh", "--days-before-expiry", "59", "--dry-run")
	contains(t, "auto-refresh --days-before-expiry 59 --dry-run", r.stdout, "3 would refresh, 0 skipped, 0 failed")
	r = e.ok("auto-refresh", "--days-before-expiry", "59")
	contains(t, "auto-refresh --days-before-expiry 59", r.stdout, "3 refreshed, 0 skipped, 0 failed")
	e.fail(2, "auto-refresh", "--days-before-expiry", "0")
	e.fail(2, "auto-refresh", "--days-before-expiry", "60")

	// Several accounts: commands that need one say so, and list them.
	r = e.fail(1, "token")
	contains(t, "token", r.stderr, "--account", "alice (", "bob (", "carol (")
	if r.stdout != "" {
		t.Errorf("token printed %q on failure", r.stdout)
	}
	r = e.ok("token", "--channel-id", "carol")
	if !e.emu.TokenValid(strings.TrimSpace(r.stdout)) {
		t.Error("token --channel-id carol: not a valid token")
	}
	r = e.ok("validate")
	contains(t, "validate", r.stdout, "alice: ok", "bob: ok", "carol: ok")
	r = e.ok("status", "--account", "bob", "--json")
	var rows []statusRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].Username != "bob" {
		t.Errorf("status --account bob --json = %s", r.stdout)
	}

	// A revoked user fails validate and refresh; the others are fine, and
	// the exit status says some failed.
	e.emu.Revoke("bob", 460)
	r = e.fail(1, "validate")
	contains(t, "validate", r.stdout, "alice: ok", "bob: failed", "carol: ok")
	contains(t, "validate stderr", r.stderr, "1 of 3 accounts failed validation", "authenticate")
	if row := e.statusOf("bob"); row.State != "needs_reconnect" {
		t.Errorf("bob = %+v, want needs_reconnect", row)
	}
	r = e.fail(1, "token", "--account", "bob")
	contains(t, "token --account bob", r.stderr, "reconnect", "auth-url")
	r = e.fail(1, "doctor")
	if !strings.HasSuffix(r.stdout, "\nnot ready\n") {
		t.Errorf("doctor:\n%s", r.stdout)
	}

	// Reconnecting bob makes it usable again.
	r = e.ok("authenticate", "--code", e.redirect(e.authURL(), "bob"))
	contains(t, "authenticate", r.stdout, "Reconnected bob")
	if row := e.statusOf("bob"); row.State != "ok" {
		t.Errorf("bob after reconnect = %+v", row)
	}

	// remove needs --account, and --yes when not at a terminal.
	e.fail(2, "remove")
	r = e.fail(2, "remove", "--account", "carol")
	contains(t, "remove", r.stderr, "--yes")
	r = e.ok("remove", "--account", "carol", "--yes")
	contains(t, "remove", r.stdout, "Removed carol")
	if n := len(e.status()); n != 2 {
		t.Errorf("%d accounts after remove, want 2", n)
	}
	e.fail(1, "remove", "--account", "carol", "--yes")
}

func TestImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := e.emu.IssueToken("dora", true)
	short := e.emu.IssueToken("eve", false)
	dora, _ := e.emu.User("dora")

	// A malformed entry: nothing is stored, and the error names the line.
	file := filepath.Join(e.dir, "tokens.jsonl")
	bad := `{"access_token":"` + long + `"}` + "\n" + `{"access_token":"` + short + `","kind":"medium"}` + "\n"
	writeFile(t, file, bad)
	r := e.fail(1, "import", file)
	contains(t, "import", r.stderr, "line 2", "kind")
	if n := len(e.status()); n != 0 {
		t.Fatalf("a refused import stored %d accounts", n)
	}
	writeFile(t, file, `{"access_token":"`+long+`"}`+"\n"+`{"access_token": nope}`+"\n")
	r = e.fail(1, "import", file)
	contains(t, "import", r.stderr, "line 2")
	// An entry Instagram rejects: nothing is stored either.
	writeFile(t, file, `{"access_token":"`+long+`"}`+"\n"+`{"access_token":"IGAAnotarealtokenatall0000000000"}`+"\n")
	r = e.fail(1, "import", file)
	contains(t, "import", r.stderr, "line 2", "nothing was stored")
	if n := len(e.status()); n != 0 {
		t.Fatalf("a refused import stored %d accounts", n)
	}

	// A good file, from standard input.
	good := `[{"access_token":"` + long + `","account_id":"` + dora.InstagramID + `","username":"dora"},` +
		`{"access_token":"` + short + `","kind":"short-lived"}]`
	r = e.runIn(good, "import", "-")
	if r.code != 0 {
		t.Fatalf("import -: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	contains(t, "import", r.stdout, "dora: imported", "eve: imported", "2 imported, 0 skipped, 0 failed")
	if row := e.statusOf("eve"); row.TokenKind != "short-lived" {
		t.Errorf("eve = %+v", row)
	}
	r = e.ok("token", "--account", "dora")
	if strings.TrimSpace(r.stdout) != long {
		t.Error("token --account dora is not the imported token")
	}
	r = e.ok("convert", "--account", "eve")
	contains(t, "convert", r.stdout, "eve: converted")

	e.fail(2, "import")
	e.fail(1, "import", filepath.Join(e.dir, "missing.json"))
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBadCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	r := e.fail(1, "authenticate", "--code", "not-a-code")
	contains(t, "authenticate", r.stderr, "igtoken: ", "Matching code was not found", "hint: ", "auth-url")
	if n := len(e.status()); n != 0 {
		t.Fatalf("a bad code stored %d accounts", n)
	}

	code := e.emu.IssueCode("alice", emulator.DefaultRedirectURI)
	e.ok("authenticate", "--code", code)
	r = e.fail(1, "authenticate", "--code", code)
	contains(t, "authenticate (reused code)", r.stderr, "Matching code was not found or was already used")
	r = e.ok("history", "--json")
	var hist []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist) != 1 {
		t.Errorf("history after a reused code = %s", r.stdout)
	}

	// The user said no on the consent screen.
	denied := emulator.DefaultRedirectURI + "?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request&state=x#_"
	r = e.fail(1, "authenticate", "--code", denied)
	contains(t, "authenticate (denied)", r.stderr, "denied")

	e.fail(2, "authenticate")
	e.fail(2, "authenticate", "--code")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"status", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"stauts"}, `unknown command "stauts" for "igtoken" (did you mean status?)`},
		{[]string{"token", "extra"}, `unknown command "extra" for "igtoken token"`},
		{[]string{"import", "a", "b"}, "accepts 1 arg(s), received 2"},
		{[]string{"history", "--limit", "x"}, `invalid argument "x" for "--limit"`},
		{[]string{"history", "--limit", "-1"}, "--limit -1"},
		{[]string{"auto-refresh", "--days-before-expiry", "100"}, "between 1 and 59"},
	}
	for _, tt := range tests {
		r := e.run(tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || !strings.HasPrefix(r.stderr, "igtoken: ") {
			t.Errorf("igtoken %s: exit %d, stderr %q; want 2 and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
		contains(t, "stderr", r.stderr, "--help")
	}
	r := e.ok()
	contains(t, "igtoken", r.stdout, "Usage:", "auto-refresh")
	r = e.ok("refresh", "--help")
	contains(t, "refresh --help", r.stdout, "--account", "--check-only", "alias --channel-id")
	r = e.ok("version")
	if !strings.HasPrefix(r.stdout, "igtoken ") {
		t.Errorf("version = %q", r.stdout)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	e.set("IGTOKEN_APP_SECRET", "")
	r := e.fail(2, "authenticate", "--code", "x")
	contains(t, "authenticate", r.stderr, "IGTOKEN_APP_SECRET is not set")
	if strings.Contains(r.stderr, "IGTOKEN_APP_ID") {
		t.Errorf("stderr names IGTOKEN_APP_ID, which is set:\n%s", r.stderr)
	}
	r = e.fail(2, "auth-url")
	contains(t, "auth-url", r.stderr, "IGTOKEN_APP_SECRET")
	r = e.fail(1, "doctor")
	contains(t, "doctor", r.stdout, "IGTOKEN_APP_SECRET is not set", "not ready")
	e.ok("status") // needs no credentials
	e.set("IGTOKEN_APP_SECRET", emulator.DefaultAppSecret)

	e.set("IGTOKEN_REFRESH_WINDOW_DAYS", "abc")
	r = e.fail(2, "status")
	if r.stderr != "igtoken: IGTOKEN_REFRESH_WINDOW_DAYS=\"abc\": want a whole number of days between 1 and 59\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
	e.ok("version") // needs no configuration
	e.set("IGTOKEN_REFRESH_WINDOW_DAYS", "")

	e.set("IGTOKEN_DATABASE_URL", "postgres://ig:pw@127.0.0.1:1/ig")
	r = e.fail(2, "status")
	contains(t, "status", r.stderr, "IGTOKEN_ENCRYPTION_KEY is required with PostgreSQL")
	e.set("IGTOKEN_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32)))
	r = e.fail(1, "status") // nothing listens on port 1
	if strings.Contains(r.stderr, "pw") {
		t.Errorf("stderr shows the database password: %s", r.stderr)
	}
	e.set("IGTOKEN_ENCRYPTION_KEY", "")
	e.set("IGTOKEN_DATABASE_URL", "sqlite:"+filepath.Join(e.dir, "other", "x.db"))
	e.ok("status")
	if _, err := os.Stat(filepath.Join(e.dir, "other", "x.db")); err != nil {
		t.Errorf("IGTOKEN_DATABASE_URL=sqlite:…: %v", err)
	}
	e.set("IGTOKEN_DATABASE_URL", "")

	e.set("IGTOKEN_ENCRYPTION_KEY", "c2VjcmV0")
	r = e.fail(2, "status")
	contains(t, "status", r.stderr, "IGTOKEN_ENCRYPTION_KEY", "32 bytes")
	if strings.Contains(r.stderr, "c2VjcmV0") {
		t.Errorf("stderr shows the key: %s", r.stderr)
	}
}

func TestNoAccounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.ok("status")
	contains(t, "status", r.stdout, "No accounts yet", "igtoken auth-url", "igtoken authenticate")
	if s := strings.TrimSpace(e.ok("status", "--json").stdout); s != "[]" {
		t.Errorf("status --json = %q, want []", s)
	}
	r = e.fail(1, "token")
	contains(t, "token", r.stderr, "no accounts stored yet", "auth-url")
	e.fail(1, "validate")
	r = e.fail(1, "token", "--account", "nobody")
	contains(t, "token", r.stderr, `account "nobody"`, "igtoken status")
	e.fail(1, "status", "--account", "nobody")
	r = e.ok("auto-refresh", "--json")
	if rep := parseReport(t, r.stdout); rep.Results == nil || len(rep.Results) != 0 {
		t.Errorf("auto-refresh --json = %s", r.stdout)
	}
	r = e.fail(1, "doctor")
	contains(t, "doctor", r.stdout, "no accounts connected", "not ready")
	if s := strings.TrimSpace(e.ok("history", "--json").stdout); s != "[]" {
		t.Errorf("history --json = %q", s)
	}
}

// TestWrongKey: a wrong key is a clear error, changes nothing, and the right
// key still opens everything afterwards.
func TestWrongKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keyA, keyB := newKey(t), newKey(t)
	e.set("IGTOKEN_ENCRYPTION_KEY", keyA)
	e.connect("alice")
	tok := e.ok("token").stdout

	e.set("IGTOKEN_ENCRYPTION_KEY", keyB)
	for _, args := range [][]string{{"status"}, {"token"}, {"auto-refresh"}, {"authenticate", "--code", e.emu.IssueCode("bob", emulator.DefaultRedirectURI)}} {
		r := e.fail(1, args...)
		contains(t, strings.Join(args, " "), r.stderr, "igtoken: ", "hint: check IGTOKEN_ENCRYPTION_KEY")
		if r.stdout != "" {
			t.Errorf("%v printed %q", args, r.stdout)
		}
	}
	r := e.fail(1, "doctor")
	contains(t, "doctor", r.stdout, "key:", "FAIL", "not ready")

	// Rotation: the new key first, the old one still opens.
	e.set("IGTOKEN_ENCRYPTION_KEY", keyB+","+keyA)
	if got := e.ok("token").stdout; got != tok {
		t.Error("token with the rotated keyring differs")
	}
	e.set("IGTOKEN_ENCRYPTION_KEY", keyA)
	if got := e.ok("token").stdout; got != tok {
		t.Error("token with the right key differs after the wrong-key attempts")
	}

	// Without IGTOKEN_ENCRYPTION_KEY, a key file is made in the data dir;
	// a different IGTOKEN_ENCRYPTION_KEY then fails.
	e2 := newEnv(t)
	e2.connect("alice")
	fi, err := os.Stat(filepath.Join(e2.vars["IGTOKEN_DATA_DIR"], "key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", fi, err)
	}
	e2.set("IGTOKEN_ENCRYPTION_KEY", keyA)
	e2.fail(1, "status")
	e2.set("IGTOKEN_ENCRYPTION_KEY", "")
	e2.ok("token")
}

// TestInstagramFailures: the emulator answers 500s and garbage.
func TestInstagramFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	e.emu.FailNext(emulator.EndpointAccessToken, 3, emulator.Fault{Status: 500, Code: 2})
	r := e.fail(1, "authenticate", "--code", e.redirect(e.authURL(), "alice"))
	contains(t, "authenticate", r.stderr, "igtoken: ", "hint:")
	if n := len(e.status()); n != 0 {
		t.Fatalf("a failed code exchange stored %d accounts", n)
	}

	e.connect("alice")
	tok := e.ok("token").stdout

	e.emu.FailNext(emulator.EndpointMe, 3, emulator.Fault{Malformed: true})
	r = e.fail(1, "validate")
	contains(t, "validate", r.stdout, "alice: failed")
	contains(t, "validate stderr", r.stderr, "1 of 1 account failed validation")
	if row := e.statusOf("alice"); row.State != "ok" {
		t.Errorf("garbage from /me changed alice's state: %+v", row)
	}

	e.emu.Advance(31 * 24 * time.Hour)
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 3, emulator.Fault{Status: 500, Code: 1})
	r = e.fail(1, "auto-refresh")
	contains(t, "auto-refresh", r.stdout, "alice: failed", "0 refreshed, 0 skipped, 1 failed")
	contains(t, "auto-refresh stderr", r.stderr, "igtoken: 1 of 1 account failed")
	row := e.statusOf("alice")
	if row.LastError == nil || row.State == "needs_reconnect" || row.State == "expired" {
		t.Errorf("after a failed refresh, alice = %+v", row)
	}
	if got := e.ok("token").stdout; got != tok {
		t.Error("a failed refresh changed the token")
	}

	e.emu.FailNext(emulator.EndpointIGRefreshToken, 3, emulator.Fault{Malformed: true})
	r = e.fail(1, "refresh")
	contains(t, "refresh", r.stdout, "alice: failed")
	if got := e.ok("token").stdout; got != tok {
		t.Error("garbage from refresh changed the token")
	}

	// It recovers once Instagram does.
	r = e.ok("refresh")
	contains(t, "refresh", r.stdout, "alice: refreshed")
	if row := e.statusOf("alice"); row.LastError != nil {
		t.Errorf("last_error after a good refresh: %v", *row.LastError)
	}
}

// TestEmulatorCommand runs `igtoken emulator` and logs in against it.
func TestEmulatorCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"emulator", "--addr", "127.0.0.1:0", "--app-id", "42", "--app-secret", "sesame"},
			strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	}()
	var base string
	re := regexp.MustCompile(`(?m)^  export IGTOKEN_META_BASE_URL=(\S+)$`)
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("emulator printed no base URL:\n%s\n%s", stdout.String(), stderr.String())
	}
	out := stdout.String()
	contains(t, "emulator", out, "export IGTOKEN_APP_ID=42\n", "export IGTOKEN_APP_SECRET=sesame\n",
		"export IGTOKEN_REDIRECT_URI=http://localhost:8080/callback\n", "igtoken auth-url", "igtoken authenticate", "/_emulator/clock")

	// Use it as the printed lines say.
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{
		"IGTOKEN_META_BASE_URL": base, "IGTOKEN_APP_ID": "42", "IGTOKEN_APP_SECRET": "sesame",
		"IGTOKEN_REDIRECT_URI": "http://localhost:8080/callback",
	}}
	e.vars["IGTOKEN_DATA_DIR"] = e.dir
	e.ok("authenticate", "--code", e.redirect(e.authURL(), "zoe"))
	if row := e.statusOf("zoe"); row.TokenKind != "long-lived" {
		t.Errorf("zoe = %+v", row)
	}
	// igtoken follows the emulator's clock.
	req, _ := http.NewRequest(http.MethodPost, base+"/_emulator/clock", strings.NewReader(`{"advance":"31d"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := e.ok("auto-refresh")
	contains(t, "auto-refresh", r.stdout, "zoe: refreshed")

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("emulator exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("emulator did not stop")
	}
	if code := Main(context.Background(), []string{"emulator", "--addr", "256.0.0.1:1"}, strings.NewReader(""),
		&bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }); code != 1 {
		t.Errorf("emulator on a bad address exited %d, want 1", code)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSecretHygiene runs a whole session with debug JSON logs and checks
// that no token the emulator issued appears in any output, except on the
// standard output of `token`, nor in the database files.
func TestSecretHygiene(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, emulator.Config{RefreshRotates: true})
	e.set("IGTOKEN_LOG_FORMAT", "json")
	e.set("IGTOKEN_LOG_LEVEL", "debug")

	e.run("auth-url")
	e.connect("alice")
	e.connect("bob")
	e.emu.FailNext(emulator.EndpointIGExchangeToken, 1, emulator.Fault{Code: 100})
	e.run("authenticate", "--code", e.redirect(e.authURL(), "carol"))
	e.run("token", "--account", "carol") // the short-lived token
	e.run("status")
	e.run("status", "--json")
	e.run("validate")
	e.run("convert", "--check-only")
	e.run("convert")
	e.run("refresh")
	e.run("history", "--json")
	e.run("history")
	e.run("doctor")
	for _, who := range []string{"alice", "bob", "carol"} {
		e.run("token", "--account", who)
	}
	e.emu.Advance(31 * 24 * time.Hour)
	e.run("auto-refresh", "--dry-run", "--json")
	e.run("auto-refresh", "--json")
	e.emu.FailNext(emulator.EndpointMe, 3, emulator.Fault{Malformed: true})
	e.run("validate")
	e.emu.Advance(2 * 24 * time.Hour)
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 3, emulator.Fault{Malformed: true})
	e.run("auto-refresh", "--force-all")
	e.emu.Revoke("bob", 460)
	e.run("validate")
	e.run("auto-refresh", "--force-all")
	e.run("token", "--account", "bob")
	imported := e.emu.IssueToken("dora", true)
	e.tokens.add(imported)
	e.runIn(`{"access_token":"`+imported+`"}`+"\n", "import", "-")
	e.runIn(`{"access_token":"`+imported+`","kind":"bad"}`+"\n", "import", "-")
	e.runIn(`{"access_token":"IGAAforgedforgedforgedforged00"}`+"\n", "import", "-")
	e.run("status")
	e.run("history")
	e.run("doctor")
	for _, who := range []string{"alice", "bob", "carol", "dora"} {
		e.run("token", "--account", who)
	}
	e.run("remove", "--account", "dora", "--yes")

	tokens := e.tokens.all()
	if len(tokens) < 8 {
		t.Fatalf("the session saw only %d tokens", len(tokens))
	}
	printed := 0
	for _, r := range e.runs {
		for _, tok := range tokens {
			if strings.Contains(r.stderr, tok) {
				t.Errorf("igtoken %s: a token appears on stderr", strings.Join(r.args, " "))
			}
			if strings.Contains(r.stdout, tok) {
				if r.args[0] != "token" {
					t.Errorf("igtoken %s: a token appears on stdout", strings.Join(r.args, " "))
				} else {
					printed++
				}
			}
		}
		if r.args[0] == "token" && r.code == 0 && !slices.Contains(tokens, strings.TrimSpace(r.stdout)) {
			t.Errorf("igtoken %s printed %q, not an issued token", strings.Join(r.args, " "), r.stdout)
		}
	}
	if printed == 0 {
		t.Error("token never printed a token")
	}
	if !strings.Contains(strings.Join(stderrs(e.runs), ""), `"level":"DEBUG"`) {
		t.Error("no debug logs were written: the check proves little")
	}

	// The database, its WAL and the key file.
	files := 0
	err := filepath.WalkDir(e.vars["IGTOKEN_DATA_DIR"], func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, tok := range tokens {
			if bytes.Contains(b, []byte(tok)) || bytes.Contains(b, []byte(tok[4:40])) {
				t.Errorf("%s holds a token in the clear", filepath.Base(path))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Errorf("found %d files in the data directory", files)
	}
}

func stderrs(runs []run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.stderr)
	}
	return out
}
