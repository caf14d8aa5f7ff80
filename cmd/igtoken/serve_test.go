package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startMain runs Main in the background and waits for pattern's first
// group to appear on stdout.
func startMain(t *testing.T, ctx context.Context, args []string, getenv func(string) string, pattern string) (string, *syncBuffer, *syncBuffer, <-chan int) {
	t.Helper()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Main(ctx, args, strings.NewReader(""), &stdout, &stderr, getenv) }()
	re := regexp.MustCompile(pattern)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], &stdout, &stderr, done
		}
		select {
		case code := <-done:
			t.Fatalf("%v exited %d early:\n%s\n%s", args, code, stdout.String(), stderr.String())
		default:
		}
	}
	t.Fatalf("%v printed no %q:\n%s\n%s", args, pattern, stdout.String(), stderr.String())
	return "", nil, nil, nil
}

func waitExit(t *testing.T, done <-chan int, stderr *syncBuffer) {
	t.Helper()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exited %d after the context ended, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop after the context ended")
	}
}

// TestSandbox is the README's first command: it must come up with no
// configuration at all, connect fake accounts, and stop cleanly.
func TestSandbox(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	home := t.TempDir()
	getenv := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	base, stdout, stderr, done := startMain(t, ctx, []string{"sandbox", "--addr", "127.0.0.1:0"}, getenv, `dashboard:\s+(http://\S+)/`)
	token := regexp.MustCompile(`admin token: (\S+)`).FindStringSubmatch(stdout.String())[1]

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	for range 2 {
		resp, err := browser.Get(base + "/connect")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("connect ended with %d", resp.StatusCode)
		}
	}
	var accounts []struct {
		Username string `json:"username"`
		State    string `json:"state"`
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&accounts); err != nil || len(accounts) != 2 || accounts[0].State != "ok" {
		t.Fatalf("accounts = %+v, %v; want two ok accounts", accounts, err)
	}
	cancel()
	waitExit(t, done, stderr)
}

// TestServe runs serve against the test emulator and stops it as SIGTERM
// would.
func TestServe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("IGTOKEN_ADDR", "127.0.0.1:0")
	e.set("IGTOKEN_ADMIN_TOKEN", strings.Repeat("a", 40))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, _, stderr, done := startMain(t, ctx, []string{"serve"}, e.getenv, `serving on (http://\S+)`)
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d, want 200", resp.StatusCode)
	}
	cancel()
	waitExit(t, done, stderr)
}

func TestServe_RequiresAppCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("IGTOKEN_APP_SECRET", "")
	r := e.fail(2, "serve")
	contains(t, "serve", r.stderr, "IGTOKEN_APP_SECRET")
}
