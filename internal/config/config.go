// Package config holds igtoken's settings: their defaults, how they are read
// from the environment, and how they are checked. cmd/igtoken parses them
// once and passes the values down; no other package reads the environment.
//
// The variable names, defaults and meanings are a contract (DESIGN.md,
// "Configuration").
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/igtoken/igtoken"
)

// Environment variable names.
const (
	EnvAppID              = "IGTOKEN_APP_ID"
	EnvAppSecret          = "IGTOKEN_APP_SECRET"
	EnvRedirectURI        = "IGTOKEN_REDIRECT_URI"
	EnvScopes             = "IGTOKEN_SCOPES"
	EnvDataDir            = "IGTOKEN_DATA_DIR"
	EnvDatabaseURL        = "IGTOKEN_DATABASE_URL"
	EnvEncryptionKey      = "IGTOKEN_ENCRYPTION_KEY"
	EnvRefreshWindowDays  = "IGTOKEN_REFRESH_WINDOW_DAYS"
	EnvRefreshConcurrency = "IGTOKEN_REFRESH_CONCURRENCY"
	EnvRefreshInterval    = "IGTOKEN_REFRESH_INTERVAL"
	EnvMetaBaseURL        = "IGTOKEN_META_BASE_URL"
	EnvAuthURL            = "IGTOKEN_INSTAGRAM_AUTH_URL"
	EnvAPIURL             = "IGTOKEN_INSTAGRAM_API_URL"
	EnvGraphURL           = "IGTOKEN_GRAPH_URL"
	EnvLogFormat          = "IGTOKEN_LOG_FORMAT"
	EnvLogLevel           = "IGTOKEN_LOG_LEVEL"
	EnvAddr               = "IGTOKEN_ADDR"
	EnvAdminToken         = "IGTOKEN_ADMIN_TOKEN"
	EnvWebhookURL         = "IGTOKEN_WEBHOOK_URL"
	EnvWebhookSecret      = "IGTOKEN_WEBHOOK_SECRET"
)

// Defaults (DESIGN.md).
const (
	DefaultRedirectURI        = "http://localhost:8080/callback"
	DefaultScopes             = "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_messages"
	DefaultRefreshWindowDays  = 30
	DefaultRefreshConcurrency = 8
	DefaultRefreshInterval    = 5 * time.Minute
	DefaultAuthURL            = "https://www.instagram.com"
	DefaultAPIURL             = "https://api.instagram.com"
	DefaultGraphURL           = "https://graph.instagram.com"
	DefaultLogFormat          = "text"
	DefaultAddr               = ":8080"

	// DatabaseFile and KeyFile are the names of the files igtoken keeps in
	// the data directory.
	DatabaseFile = "igtoken.db"
	KeyFile      = "key"
)

// Limits of the numeric settings.
const (
	maxWindowDays   = 59 // a long-lived token lives 60 days: a 60-day window refreshes on every pass
	maxConcurrency  = 256
	minIntervalTime = time.Second
)

// Database drivers returned by [Config.Database].
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config is every igtoken setting.
type Config struct {
	AppID, AppSecret string
	RedirectURI      string
	Scopes           []string

	// DataDir holds the SQLite file and the generated key. Empty when it
	// cannot be determined (neither IGTOKEN_DATA_DIR, XDG_DATA_HOME nor HOME
	// is set); Database reports that when a path is needed.
	DataDir     string
	DatabaseURL string
	// EncryptionKey is IGTOKEN_ENCRYPTION_KEY as given: base64 keys,
	// comma-separated; package seal parses it.
	EncryptionKey string

	RefreshWindow      time.Duration // IGTOKEN_REFRESH_WINDOW_DAYS, in days
	RefreshConcurrency int
	RefreshInterval    time.Duration

	// MetaBaseURL, when set, replaces AuthURL, APIURL and GraphURL.
	MetaBaseURL               string
	AuthURL, APIURL, GraphURL string

	LogFormat string // "text" or "json"
	LogLevel  slog.Level

	Addr       string
	AdminToken string

	WebhookURL, WebhookSecret string
}

// Error is a setting with a bad value. It wraps igtoken.ErrConfig.
type Error struct {
	Var   string // the environment variable
	Value string // what it held; not shown for secrets
	Want  string // what is expected, in words
	// Secret hides Value in the message.
	Secret bool
}

func (e *Error) Error() string {
	if e.Secret || e.Value == "" {
		return fmt.Sprintf("%s: want %s", e.Var, e.Want)
	}
	return fmt.Sprintf("%s=%q: want %s", e.Var, e.Value, e.Want)
}

// Unwrap makes errors.Is(err, igtoken.ErrConfig) true.
func (e *Error) Unwrap() error { return igtoken.ErrConfig }

// Default returns the configuration with no environment at all, except for
// the data directory, which depends on XDG_DATA_HOME and HOME.
func Default() Config {
	c, _ := Load(func(string) string { return "" })
	return c
}

// Load applies the defaults, then the environment read through getenv, and
// checks every value it read. All bad values are reported together; each
// error names its variable and wraps igtoken.ErrConfig.
func Load(getenv func(string) string) (Config, error) {
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, &Error{Var: name, Value: value, Want: want})
	}

	c := Config{
		AppID:              env(EnvAppID),
		AppSecret:          env(EnvAppSecret),
		RedirectURI:        DefaultRedirectURI,
		DataDir:            dataDir(env),
		DatabaseURL:        env(EnvDatabaseURL),
		EncryptionKey:      env(EnvEncryptionKey),
		RefreshWindow:      DefaultRefreshWindowDays * 24 * time.Hour,
		RefreshConcurrency: DefaultRefreshConcurrency,
		RefreshInterval:    DefaultRefreshInterval,
		AuthURL:            DefaultAuthURL,
		APIURL:             DefaultAPIURL,
		GraphURL:           DefaultGraphURL,
		LogFormat:          DefaultLogFormat,
		LogLevel:           slog.LevelInfo,
		Addr:               DefaultAddr,
		AdminToken:         env(EnvAdminToken),
		WebhookSecret:      env(EnvWebhookSecret),
	}
	c.Scopes, _ = parseScopes(DefaultScopes)

	if v := env(EnvRedirectURI); v != "" {
		if checkURL(v) {
			c.RedirectURI = v
		} else {
			bad(EnvRedirectURI, v, "an absolute http or https URL, such as "+DefaultRedirectURI)
		}
	}
	if v := env(EnvScopes); v != "" {
		if s, ok := parseScopes(v); ok {
			c.Scopes = s
		} else {
			bad(EnvScopes, v, "a comma-separated list of scopes, such as "+DefaultScopes)
		}
	}
	if v := env(EnvRefreshWindowDays); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxWindowDays {
			bad(EnvRefreshWindowDays, v, fmt.Sprintf("a whole number of days between 1 and %d", maxWindowDays))
		} else {
			c.RefreshWindow = time.Duration(n) * 24 * time.Hour
		}
	}
	if v := env(EnvRefreshConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxConcurrency {
			bad(EnvRefreshConcurrency, v, fmt.Sprintf("a whole number between 1 and %d", maxConcurrency))
		} else {
			c.RefreshConcurrency = n
		}
	}
	if v := env(EnvRefreshInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < minIntervalTime {
			bad(EnvRefreshInterval, v, "a Go duration of at least 1s, such as 5m or 1h30m")
		} else {
			c.RefreshInterval = d
		}
	}

	// Hosts: the per-host variables override the defaults; the base URL
	// overrides all three.
	for _, h := range []struct {
		name string
		dst  *string
	}{{EnvAuthURL, &c.AuthURL}, {EnvAPIURL, &c.APIURL}, {EnvGraphURL, &c.GraphURL}, {EnvMetaBaseURL, &c.MetaBaseURL}} {
		v := env(h.name)
		if v == "" {
			continue
		}
		if !checkURL(v) {
			bad(h.name, v, "an absolute http or https URL")
			continue
		}
		*h.dst = strings.TrimRight(v, "/")
	}
	if c.MetaBaseURL != "" {
		c.AuthURL, c.APIURL, c.GraphURL = c.MetaBaseURL, c.MetaBaseURL, c.MetaBaseURL
	}

	if v := env(EnvLogFormat); v != "" {
		switch f := strings.ToLower(v); f {
		case "text", "json":
			c.LogFormat = f
		default:
			bad(EnvLogFormat, v, `"text" or "json"`)
		}
	}
	if v := env(EnvLogLevel); v != "" {
		l, ok := parseLevel(v)
		if ok {
			c.LogLevel = l
		} else {
			bad(EnvLogLevel, v, `"debug", "info", "warn" or "error"`)
		}
	}
	if v := env(EnvAddr); v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || !validPort(port) {
			bad(EnvAddr, v, "a listen address host:port, such as :8080 or 127.0.0.1:8080")
		} else {
			c.Addr = v
		}
	}
	if v := env(EnvWebhookURL); v != "" {
		if checkURL(v) {
			c.WebhookURL = v
		} else {
			bad(EnvWebhookURL, v, "an absolute http or https URL")
		}
	}
	if c.DatabaseURL != "" {
		if _, _, err := c.Database(); err != nil {
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

// dataDir returns IGTOKEN_DATA_DIR, else $XDG_DATA_HOME/igtoken, else
// ~/.local/share/igtoken, else "".
func dataDir(env func(string) string) string {
	if d := env(EnvDataDir); d != "" {
		return d
	}
	// The XDG spec ignores a relative XDG_DATA_HOME.
	if x := env("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "igtoken")
	}
	if h := env("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "igtoken")
	}
	return ""
}

func parseScopes(s string) ([]string, bool) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" || strings.ContainsAny(f, " \t&?=#") {
			return nil, false
		}
		out = append(out, f)
	}
	return out, len(out) > 0
}

func checkURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}

func parseLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}

// Database returns the store driver (DriverSQLite or DriverPostgres) and
// its data source: for SQLite, the file path; for PostgreSQL, the URL.
// IGTOKEN_DATABASE_URL may be "sqlite:PATH", a plain path, or a
// postgres:// or postgresql:// URL; empty means DataDir/igtoken.db.
func (c Config) Database() (driver, dsn string, err error) {
	v := c.DatabaseURL
	want := "sqlite:PATH, a file path, or a postgres:// URL"
	switch {
	case v == "":
		if c.DataDir == "" {
			return "", "", &Error{Var: EnvDataDir,
				Want: "a directory for the database (it is not set, and neither XDG_DATA_HOME nor HOME is set)"}
		}
		return DriverSQLite, filepath.Join(c.DataDir, DatabaseFile), nil
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		u, perr := url.Parse(v)
		if perr != nil || u.Host == "" && u.Path == "" && u.RawQuery == "" {
			return "", "", &Error{Var: EnvDatabaseURL, Want: "a valid postgres:// URL", Secret: true}
		}
		return DriverPostgres, v, nil
	case strings.HasPrefix(v, "sqlite:"):
		p := strings.TrimPrefix(v, "sqlite:")
		p = strings.TrimPrefix(p, "//") // sqlite:///abs/path
		if p == "" {
			return "", "", &Error{Var: EnvDatabaseURL, Value: v, Want: "a file path after sqlite:"}
		}
		return DriverSQLite, p, nil
	case strings.Contains(v, "://"):
		scheme, _, _ := strings.Cut(v, "://")
		return "", "", &Error{Var: EnvDatabaseURL, Value: scheme + "://…", Want: want}
	}
	return DriverSQLite, v, nil
}

// SQLiteKeyFile is the path of the generated encryption key, used when
// IGTOKEN_ENCRYPTION_KEY is not set.
func (c Config) SQLiteKeyFile() string {
	if c.DataDir == "" {
		return ""
	}
	return filepath.Join(c.DataDir, KeyFile)
}

// RequireApp reports an error, naming the variables, when the Instagram
// app credentials needed for logging in and exchanging tokens are missing.
// The error wraps igtoken.ErrConfig.
func (c Config) RequireApp() error {
	var missing []string
	if c.AppID == "" {
		missing = append(missing, EnvAppID)
	}
	if c.AppSecret == "" {
		missing = append(missing, EnvAppSecret)
	}
	if len(missing) == 0 {
		return nil
	}
	what := "id and secret"
	switch {
	case c.AppID != "":
		what = "secret"
	case c.AppSecret != "":
		what = "id"
	}
	return &MissingError{Vars: missing,
		Want: "the Instagram app's " + what + ", from the Meta app dashboard (Instagram > API setup with Instagram login)"}
}

// MissingError names required settings that are not set. It wraps
// igtoken.ErrConfig.
type MissingError struct {
	Vars []string
	Want string // what they should hold
}

func (e *MissingError) Error() string {
	verb := "is"
	if len(e.Vars) > 1 {
		verb = "are"
	}
	return fmt.Sprintf("%s %s not set: want %s", strings.Join(e.Vars, " and "), verb, e.Want)
}

// Unwrap makes errors.Is(err, igtoken.ErrConfig) true.
func (e *MissingError) Unwrap() error { return igtoken.ErrConfig }

// Redacted returns every setting by variable name, as a person may see it:
// secrets are shown only as "set" or "unset", and a password in the
// database URL is masked.
func (c Config) Redacted() map[string]string {
	secret := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	db := c.DatabaseURL
	if u, err := url.Parse(db); err == nil && u.User != nil {
		db = u.Redacted()
	}
	return map[string]string{
		EnvAppID:              c.AppID,
		EnvAppSecret:          secret(c.AppSecret),
		EnvRedirectURI:        c.RedirectURI,
		EnvScopes:             strings.Join(c.Scopes, ","),
		EnvDataDir:            c.DataDir,
		EnvDatabaseURL:        db,
		EnvEncryptionKey:      secret(c.EncryptionKey),
		EnvRefreshWindowDays:  strconv.Itoa(int(c.RefreshWindow / (24 * time.Hour))),
		EnvRefreshConcurrency: strconv.Itoa(c.RefreshConcurrency),
		EnvRefreshInterval:    c.RefreshInterval.String(),
		EnvMetaBaseURL:        c.MetaBaseURL,
		EnvAuthURL:            c.AuthURL,
		EnvAPIURL:             c.APIURL,
		EnvGraphURL:           c.GraphURL,
		EnvLogFormat:          c.LogFormat,
		EnvLogLevel:           strings.ToLower(c.LogLevel.String()),
		EnvAddr:               c.Addr,
		EnvAdminToken:         secret(c.AdminToken),
		EnvWebhookURL:         c.WebhookURL,
		EnvWebhookSecret:      secret(c.WebhookSecret),
	}
}
