package dashboard_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
)

// screenshotPath is where the browser test leaves a picture of the account
// table for people to look at.
const screenshotPath = "/tmp/dashboard.png"

// chromium returns the path of the browser, or skips the test (fails it in
// CI, where the browser must be installed).
func chromium(t *testing.T) string {
	t.Helper()
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			return p
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed (%v); CI must install it (apt-get install -y chromium)", err)
		}
		t.Skipf("chromium is not installed: %v", err)
	}
	return path
}

// newBrowser starts headless Chromium with a fresh profile and returns a
// tab context that ends with the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	profile := t.TempDir() // removed after the browser has exited (cleanups run LIFO)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1440, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestDashboard_Browser drives the dashboard in a real headless Chromium:
// log in, connect an account, move the sandbox clock, refresh, and read the
// history.
func TestDashboard_Browser(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, emulator.Config{}, withSandbox)

	// Two accounts connected earlier, so the table shows more than one state.
	e.login(t, "bob")
	carol := e.login(t, "carol")

	// The real /connect lives in internal/server; this one logs alice in at
	// the emulator directly and comes back, as the OAuth callback would.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connect", func(w http.ResponseWriter, r *http.Request) {
		code := e.emu.IssueCode("alice", emulator.DefaultRedirectURI)
		if _, err := e.mgr.Login(r.Context(), code); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, "/", http.StatusFound)
	})
	mux.Handle("/", e.dash)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			failed := filepath.Join(t.TempDir(), "failed.png")
			_ = os.WriteFile(failed, shot, 0o644)
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
			t.Fatalf("%s: %v\n(screenshot %s)\n%s", name, err, failed, html)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// flashWith waits for the flash message that follows an action.
	flashWith := func(s string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"flash") and contains(., "` + s + `")]`))
	}

	step("open the login form",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	step("log in with a wrong token",
		chromedp.SendKeys(chromedp.ID("token"), "not the token"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(., "That is not the admin token")]`)),
	)
	step("log in",
		chromedp.SendKeys(chromedp.ID("token"), adminToken),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.accounts`)),
	)
	if got := text("table.accounts"); !strings.Contains(got, "@bob") || strings.Contains(got, "@alice") {
		t.Fatalf("account table before connecting:\n%s", got)
	}

	step("connect an account",
		chromedp.Click(chromedp.Search(`//a[contains(., "Connect an account")]`)),
		chromedp.WaitVisible(chromedp.Search(`//table[contains(@class,"accounts")]//a[contains(., "@alice")]`)),
	)
	if got := text("table.accounts"); !strings.Contains(got, "@alice") {
		t.Fatalf("account table does not list alice:\n%s", got)
	}

	before := e.emu.Now()
	step("move the emulated clock a week ahead",
		chromedp.Click(chromedp.CSS(`button[name=days][value="7"]`)),
		flashWith("moved forward 7 days"),
	)
	if moved := e.emu.Now().Sub(before); moved < 7*day {
		t.Fatalf("the emulated clock moved %v, want 7 days", moved)
	}
	// carol changed her password a while ago and her token has failed since.
	e.emu.Revoke("carol", 460)
	if _, err := e.mgr.Refresh(t.Context(), igtoken.RunOptions{IDs: []string{carol.ID}, Force: true, Trigger: igtoken.TriggerCron}); err != nil {
		t.Fatal(err)
	}

	step("refresh alice now",
		chromedp.Click(chromedp.Search(`//tr[.//a[contains(., "@alice")]]//button[contains(., "Refresh now")]`)),
		flashWith("Refreshed @alice"),
	)
	if got := text(".flash"); !strings.Contains(got, "the token now expires") {
		t.Errorf("flash = %q", got)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, shot)
	tmp := filepath.Join(t.TempDir(), "dashboard.png")
	if err := os.WriteFile(tmp, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(tmp); err != nil || fi.Size() == 0 {
		t.Fatalf("screenshot file: %v", err)
	}
	if err := os.WriteFile(screenshotPath, shot, 0o644); err != nil {
		t.Logf("could not save %s: %v", screenshotPath, err)
	}

	step("open the account page",
		chromedp.Click(chromedp.Search(`//table[contains(@class,"accounts")]//a[contains(., "@alice")]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.history`)),
	)
	history := text("table.history tbody")
	for _, want := range []string{"refreshed", "serve", "connected", "login"} {
		if !strings.Contains(history, want) {
			t.Errorf("history table does not show %q:\n%s", want, history)
		}
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(strings.TrimSuffix(screenshotPath, ".png")+"-account.png", shot, 0o644)
	}
}

// checkPNG fails unless b is a PNG image with a size.
func checkPNG(t *testing.T, b []byte) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if cfg.Width == 0 || cfg.Height == 0 {
		t.Fatalf("screenshot is %d×%d", cfg.Width, cfg.Height)
	}
}
