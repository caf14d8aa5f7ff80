package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitsVerify runs systemd-analyze verify on the shipped units,
// with ExecStart pointed at a freshly built igtoken.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is not installed; .ci/run must install systemd")
		}
		t.Skip("systemd-analyze not installed (apt-get install systemd)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "igtoken")
	build := exec.Command("go", "build", "-o", bin, "../cmd/igtoken")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var units []string
	for _, name := range []string{"igtoken-refresh.service", "igtoken-refresh.timer", "igtoken.service"} {
		data, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), "/usr/local/bin/igtoken", bin)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, path)
	}
	cmd := exec.Command(analyze, append([]string{"verify"}, units...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=notice")
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: err=%v\n%s", err, out)
	}
}

// TestSystemdUnitsHardened checks the settings the refresh service relies on.
func TestSystemdUnitsHardened(t *testing.T) {
	want := map[string][]string{
		"igtoken-refresh.service": {
			"Type=oneshot", "ExecStart=/usr/local/bin/igtoken auto-refresh", "DynamicUser=yes",
			"StateDirectory=igtoken", "ProtectSystem=strict", "NoNewPrivileges=yes", "UMask=0077",
		},
		"igtoken-refresh.timer": {"OnCalendar=daily", "Persistent=true", "WantedBy=timers.target"},
		"igtoken.service": {
			"ExecStart=/usr/local/bin/igtoken serve", "DynamicUser=yes", "StateDirectory=igtoken",
			"ProtectSystem=strict", "NoNewPrivileges=yes", "KillSignal=SIGTERM",
		},
	}
	for name, lines := range want {
		data, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, l := range strings.Split(string(data), "\n") {
			have[strings.TrimSpace(l)] = true
		}
		for _, l := range lines {
			if !have[l] {
				t.Errorf("%s: missing %q", name, l)
			}
		}
	}
}
