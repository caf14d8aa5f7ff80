package config_test

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/config"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(getenv(map[string]string{"HOME": "/home/ana"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Config{
		RedirectURI:        "http://localhost:8080/callback",
		Scopes:             []string{"instagram_business_basic", "instagram_business_content_publish", "instagram_business_manage_messages"},
		DataDir:            "/home/ana/.local/share/igtoken",
		RefreshWindow:      30 * 24 * time.Hour,
		RefreshConcurrency: 8,
		RefreshInterval:    5 * time.Minute,
		AuthURL:            "https://www.instagram.com",
		APIURL:             "https://api.instagram.com",
		GraphURL:           "https://graph.instagram.com",
		LogFormat:          "text",
		LogLevel:           slog.LevelInfo,
		Addr:               ":8080",
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{
			name: "data dir from XDG_DATA_HOME",
			env:  map[string]string{"HOME": "/home/ana", "XDG_DATA_HOME": "/xdg"},
			check: func(t *testing.T, c config.Config) {
				if c.DataDir != "/xdg/igtoken" {
					t.Errorf("DataDir = %q, want /xdg/igtoken", c.DataDir)
				}
			},
		},
		{
			name: "relative XDG_DATA_HOME is ignored",
			env:  map[string]string{"HOME": "/home/ana", "XDG_DATA_HOME": "rel"},
			check: func(t *testing.T, c config.Config) {
				if c.DataDir != "/home/ana/.local/share/igtoken" {
					t.Errorf("DataDir = %q", c.DataDir)
				}
			},
		},
		{
			name: "IGTOKEN_DATA_DIR wins",
			env:  map[string]string{"HOME": "/home/ana", "XDG_DATA_HOME": "/xdg", "IGTOKEN_DATA_DIR": "/srv/ig"},
			check: func(t *testing.T, c config.Config) {
				if c.DataDir != "/srv/ig" {
					t.Errorf("DataDir = %q", c.DataDir)
				}
			},
		},
		{
			name: "no home at all",
			env:  map[string]string{},
			check: func(t *testing.T, c config.Config) {
				if c.DataDir != "" {
					t.Errorf("DataDir = %q, want empty", c.DataDir)
				}
			},
		},
		{
			name: "every plain value",
			env: map[string]string{
				"IGTOKEN_APP_ID":              " 123 ",
				"IGTOKEN_APP_SECRET":          "s3cret",
				"IGTOKEN_REDIRECT_URI":        "https://example.com/cb",
				"IGTOKEN_SCOPES":              "a, b ,c",
				"IGTOKEN_REFRESH_WINDOW_DAYS": "7",
				"IGTOKEN_REFRESH_CONCURRENCY": "3",
				"IGTOKEN_REFRESH_INTERVAL":    "90s",
				"IGTOKEN_LOG_FORMAT":          "JSON",
				"IGTOKEN_LOG_LEVEL":           "debug",
				"IGTOKEN_ADDR":                "127.0.0.1:9000",
				"IGTOKEN_ADMIN_TOKEN":         "adm",
				"IGTOKEN_WEBHOOK_URL":         "https://hooks.example.com/x",
				"IGTOKEN_WEBHOOK_SECRET":      "whs",
				"IGTOKEN_ENCRYPTION_KEY":      "abc,def",
			},
			check: func(t *testing.T, c config.Config) {
				got := []any{c.AppID, c.AppSecret, c.RedirectURI, c.Scopes, c.RefreshWindow, c.RefreshConcurrency,
					c.RefreshInterval, c.LogFormat, c.LogLevel, c.Addr, c.AdminToken, c.WebhookURL, c.WebhookSecret, c.EncryptionKey}
				want := []any{"123", "s3cret", "https://example.com/cb", []string{"a", "b", "c"}, 7 * 24 * time.Hour, 3,
					90 * time.Second, "json", slog.LevelDebug, "127.0.0.1:9000", "adm", "https://hooks.example.com/x", "whs", "abc,def"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "per-host overrides",
			env: map[string]string{
				"IGTOKEN_INSTAGRAM_AUTH_URL": "http://auth.test/",
				"IGTOKEN_GRAPH_URL":          "http://graph.test",
			},
			check: func(t *testing.T, c config.Config) {
				got := []string{c.AuthURL, c.APIURL, c.GraphURL}
				want := []string{"http://auth.test", "https://api.instagram.com", "http://graph.test"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("hosts mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "meta base URL overrides every host",
			env: map[string]string{
				"IGTOKEN_META_BASE_URL":      "http://127.0.0.1:8090/",
				"IGTOKEN_INSTAGRAM_AUTH_URL": "http://auth.test",
			},
			check: func(t *testing.T, c config.Config) {
				got := []string{c.MetaBaseURL, c.AuthURL, c.APIURL, c.GraphURL}
				want := []string{"http://127.0.0.1:8090", "http://127.0.0.1:8090", "http://127.0.0.1:8090", "http://127.0.0.1:8090"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("hosts mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "warning is a level",
			env:  map[string]string{"IGTOKEN_LOG_LEVEL": "WARNING"},
			check: func(t *testing.T, c config.Config) {
				if c.LogLevel != slog.LevelWarn {
					t.Errorf("LogLevel = %v", c.LogLevel)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(getenv(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             string // the whole message
	}{
		{"window not a number", "IGTOKEN_REFRESH_WINDOW_DAYS", "abc",
			`IGTOKEN_REFRESH_WINDOW_DAYS="abc": want a whole number of days between 1 and 59`},
		{"window zero", "IGTOKEN_REFRESH_WINDOW_DAYS", "0",
			`IGTOKEN_REFRESH_WINDOW_DAYS="0": want a whole number of days between 1 and 59`},
		{"window 60", "IGTOKEN_REFRESH_WINDOW_DAYS", "60",
			`IGTOKEN_REFRESH_WINDOW_DAYS="60": want a whole number of days between 1 and 59`},
		{"window fractional", "IGTOKEN_REFRESH_WINDOW_DAYS", "7.5",
			`IGTOKEN_REFRESH_WINDOW_DAYS="7.5": want a whole number of days between 1 and 59`},
		{"concurrency", "IGTOKEN_REFRESH_CONCURRENCY", "-1",
			`IGTOKEN_REFRESH_CONCURRENCY="-1": want a whole number between 1 and 256`},
		{"interval unitless", "IGTOKEN_REFRESH_INTERVAL", "300",
			`IGTOKEN_REFRESH_INTERVAL="300": want a Go duration of at least 1s, such as 5m or 1h30m`},
		{"interval tiny", "IGTOKEN_REFRESH_INTERVAL", "1ms",
			`IGTOKEN_REFRESH_INTERVAL="1ms": want a Go duration of at least 1s, such as 5m or 1h30m`},
		{"redirect relative", "IGTOKEN_REDIRECT_URI", "/callback",
			`IGTOKEN_REDIRECT_URI="/callback": want an absolute http or https URL, such as http://localhost:8080/callback`},
		{"scopes empty item", "IGTOKEN_SCOPES", "a,,b",
			`IGTOKEN_SCOPES="a,,b": want a comma-separated list of scopes, such as ` + config.DefaultScopes},
		{"base url", "IGTOKEN_META_BASE_URL", "localhost:8090",
			`IGTOKEN_META_BASE_URL="localhost:8090": want an absolute http or https URL`},
		{"graph url", "IGTOKEN_GRAPH_URL", "ftp://x",
			`IGTOKEN_GRAPH_URL="ftp://x": want an absolute http or https URL`},
		{"log format", "IGTOKEN_LOG_FORMAT", "xml",
			`IGTOKEN_LOG_FORMAT="xml": want "text" or "json"`},
		{"log level", "IGTOKEN_LOG_LEVEL", "loud",
			`IGTOKEN_LOG_LEVEL="loud": want "debug", "info", "warn" or "error"`},
		{"addr", "IGTOKEN_ADDR", "8080",
			`IGTOKEN_ADDR="8080": want a listen address host:port, such as :8080 or 127.0.0.1:8080`},
		{"webhook", "IGTOKEN_WEBHOOK_URL", "hooks.example.com",
			`IGTOKEN_WEBHOOK_URL="hooks.example.com": want an absolute http or https URL`},
		{"database scheme", "IGTOKEN_DATABASE_URL", "mysql://u:p@h/db",
			`IGTOKEN_DATABASE_URL="mysql://…": want sqlite:PATH, a file path, or a postgres:// URL`},
		{"database empty sqlite path", "IGTOKEN_DATABASE_URL", "sqlite:",
			`IGTOKEN_DATABASE_URL="sqlite:": want a file path after sqlite:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(getenv(map[string]string{"HOME": "/h", tt.key: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) = nil error, want %q", tt.key, tt.value, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Load(%s=%q) error:\n got %s\nwant %s", tt.key, tt.value, err, tt.want)
			}
			if !errors.Is(err, igtoken.ErrConfig) {
				t.Errorf("error %v does not wrap igtoken.ErrConfig", err)
			}
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tt.key {
				t.Errorf("error %v: want a *config.Error for %s", err, tt.key)
			}
		})
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	_, err := config.Load(getenv(map[string]string{
		"IGTOKEN_REFRESH_WINDOW_DAYS": "x",
		"IGTOKEN_LOG_FORMAT":          "y",
	}))
	if err == nil {
		t.Fatal("Load: nil error")
	}
	for _, name := range []string{"IGTOKEN_REFRESH_WINDOW_DAYS", "IGTOKEN_LOG_FORMAT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestDatabase(t *testing.T) {
	tests := []struct {
		url, dataDir string
		driver, dsn  string
		wantErr      string
	}{
		{url: "", dataDir: "/data", driver: "sqlite", dsn: filepath.Join("/data", "igtoken.db")},
		{url: "", dataDir: "", wantErr: "IGTOKEN_DATA_DIR"},
		{url: "sqlite:/var/lib/ig.db", driver: "sqlite", dsn: "/var/lib/ig.db"},
		{url: "sqlite:rel/ig.db", driver: "sqlite", dsn: "rel/ig.db"},
		{url: "sqlite:///abs/ig.db", driver: "sqlite", dsn: "/abs/ig.db"},
		{url: "/plain/path.db", driver: "sqlite", dsn: "/plain/path.db"},
		{url: "tokens.db", driver: "sqlite", dsn: "tokens.db"},
		{url: "postgres://u:p@db:5432/ig?sslmode=disable", driver: "postgres", dsn: "postgres://u:p@db:5432/ig?sslmode=disable"},
		{url: "postgresql://db/ig", driver: "postgres", dsn: "postgresql://db/ig"},
		{url: "mysql://db/ig", wantErr: "IGTOKEN_DATABASE_URL"},
		{url: "sqlite:", wantErr: "IGTOKEN_DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c := config.Config{DatabaseURL: tt.url, DataDir: tt.dataDir}
			driver, dsn, err := c.Database()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, igtoken.ErrConfig) {
					t.Fatalf("Database() error = %v, want one naming %s and wrapping ErrConfig", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Database(): %v", err)
			}
			if driver != tt.driver || dsn != tt.dsn {
				t.Errorf("Database() = %q, %q; want %q, %q", driver, dsn, tt.driver, tt.dsn)
			}
		})
	}
}

func TestRequireApp(t *testing.T) {
	tests := []struct {
		id, secret string
		names      []string // variables the error must name; nil = no error
		absent     string   // a variable it must not name
	}{
		{id: "1", secret: "s"},
		{id: "1", secret: "", names: []string{"IGTOKEN_APP_SECRET"}, absent: "IGTOKEN_APP_ID"},
		{id: "", secret: "s", names: []string{"IGTOKEN_APP_ID"}, absent: "IGTOKEN_APP_SECRET"},
		{id: "", secret: "", names: []string{"IGTOKEN_APP_ID", "IGTOKEN_APP_SECRET"}},
	}
	for _, tt := range tests {
		err := config.Config{AppID: tt.id, AppSecret: tt.secret}.RequireApp()
		if tt.names == nil {
			if err != nil {
				t.Errorf("RequireApp(%q, %q) = %v, want nil", tt.id, tt.secret, err)
			}
			continue
		}
		if !errors.Is(err, igtoken.ErrConfig) {
			t.Errorf("RequireApp(%q, %q) = %v, want an ErrConfig", tt.id, tt.secret, err)
			continue
		}
		for _, n := range tt.names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("RequireApp(%q, %q) = %q, does not name %s", tt.id, tt.secret, err, n)
			}
		}
		if tt.absent != "" && strings.Contains(err.Error(), tt.absent) {
			t.Errorf("RequireApp(%q, %q) = %q, names %s which is set", tt.id, tt.secret, err, tt.absent)
		}
	}
}

func TestRedacted(t *testing.T) {
	c, err := config.Load(getenv(map[string]string{
		"HOME":                   "/h",
		"IGTOKEN_APP_ID":         "123",
		"IGTOKEN_APP_SECRET":     "topsecret",
		"IGTOKEN_ENCRYPTION_KEY": "keykeykey",
		"IGTOKEN_ADMIN_TOKEN":    "admintok",
		"IGTOKEN_DATABASE_URL":   "postgres://ig:dbpassword@db/ig",
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Redacted()
	want := map[string]string{
		"IGTOKEN_APP_ID":              "123",
		"IGTOKEN_APP_SECRET":          "set",
		"IGTOKEN_ENCRYPTION_KEY":      "set",
		"IGTOKEN_ADMIN_TOKEN":         "set",
		"IGTOKEN_WEBHOOK_SECRET":      "unset",
		"IGTOKEN_REFRESH_WINDOW_DAYS": "30",
		"IGTOKEN_LOG_LEVEL":           "info",
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("Redacted()[%s] = %q, want %q", k, r[k], v)
		}
	}
	for k, v := range r {
		for _, s := range []string{"topsecret", "keykeykey", "admintok", "dbpassword"} {
			if strings.Contains(v, s) {
				t.Errorf("Redacted()[%s] = %q shows a secret", k, v)
			}
		}
	}
	if len(r) != 20 {
		t.Errorf("Redacted() has %d settings, want 20", len(r))
	}
}

func TestErrorHidesSecretValue(t *testing.T) {
	err := &config.Error{Var: "IGTOKEN_ENCRYPTION_KEY", Value: "c2VjcmV0", Want: "base64 of 32 bytes", Secret: true}
	if strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("Error() = %q shows the value", err)
	}
}
