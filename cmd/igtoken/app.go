package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/graph"
	"github.com/igtoken/igtoken/internal/config"
	"github.com/igtoken/igtoken/internal/seal"
	"github.com/igtoken/igtoken/postgres"
	"github.com/igtoken/igtoken/sqlite"
)

// app is what every command shares: the configuration and logger, built
// once before the command runs, and the store and Manager, opened on first
// use and closed by Main after the command.
type app struct {
	getenv func(string) string

	ready bool
	cfg   config.Config
	log   *slog.Logger

	store     igtoken.Store
	mgr       *igtoken.Manager
	keySource string // where the encryption key came from, for doctor
	dsn       string // the database opened, for doctor
	// noMigrate leaves the PostgreSQL schema alone (serve --no-migrate).
	noMigrate bool
	// transport, when set, carries the Graph client's requests (serve adds
	// metrics and a rate limit).
	transport http.RoundTripper
}

// init reads the configuration and sets up logging, unless cmd runs
// without configuration.
func (a *app) init(cmd *cobra.Command) error {
	if a.ready {
		return nil
	}
	if noConfig(cmd) {
		a.log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
		return nil
	}
	cfg, err := config.Load(a.getenv)
	if err != nil {
		return err
	}
	a.cfg = cfg
	a.log = newLogger(cmd.ErrOrStderr(), cfg)
	a.ready = true
	return nil
}

func noConfig(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c == cmd && c.Annotations[annNoConfig] == "true" {
			return true
		}
		switch c.Name() {
		case "completion", "help", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return true
		}
	}
	return false
}

// newLogger logs on w, as text or JSON at the configured level. Token values
// never reach it: igtoken.Token's LogValue shows only a fingerprint.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// manager returns the Manager, opening the store on first use.
func (a *app) manager(ctx context.Context) (*igtoken.Manager, error) {
	if a.mgr != nil {
		return a.mgr, nil
	}
	store, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	a.store = store
	m := igtoken.NewManager(store, a.graphClient())
	m.Logger = a.log
	m.Policy.Window = a.cfg.RefreshWindow
	m.Concurrency = a.cfg.RefreshConcurrency
	if now := a.emulatorClock(ctx); now != nil {
		m.Now = now
	}
	a.mgr = m
	return m, nil
}

// now is the time as the Manager sees it.
func (a *app) now() time.Time {
	if a.mgr != nil && a.mgr.Now != nil {
		return a.mgr.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *app) graphClient() *graph.Client {
	c := &graph.Client{
		AppID:       a.cfg.AppID,
		AppSecret:   a.cfg.AppSecret,
		RedirectURI: a.cfg.RedirectURI,
		AuthURL:     a.cfg.AuthURL,
		APIURL:      a.cfg.APIURL,
		GraphURL:    a.cfg.GraphURL,
	}
	if a.transport != nil {
		c.HTTPClient = &http.Client{Transport: a.transport, Timeout: 30 * time.Second}
	}
	return c
}

// openStore opens the configured store. SQLite takes its key from
// IGTOKEN_ENCRYPTION_KEY, else from the key file in the data directory,
// created on first use.
func (a *app) openStore(ctx context.Context) (igtoken.Store, error) {
	driver, dsn, err := a.cfg.Database()
	if err != nil {
		return nil, err
	}
	if driver == config.DriverPostgres {
		return a.openPostgres(ctx, dsn)
	}
	keys, err := a.keyring()
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(dsn, keys) // creates the file and its directory
	if err != nil {
		return nil, err
	}
	a.dsn = "sqlite " + dsn
	return store, nil
}

// openPostgres opens the shared store of several replicas. The key must
// come from IGTOKEN_ENCRYPTION_KEY: a key file generated on one replica
// would be useless to the others.
func (a *app) openPostgres(ctx context.Context, dsn string) (igtoken.Store, error) {
	if a.cfg.EncryptionKey == "" {
		return nil, configError("%s is required with PostgreSQL (all replicas need the same key): set it to the output of `openssl rand -base64 32`",
			config.EnvEncryptionKey)
	}
	keys, err := a.keyring()
	if err != nil {
		return nil, err
	}
	var opts []postgres.Option
	if a.noMigrate {
		opts = append(opts, postgres.NoMigrate())
	}
	store, err := postgres.Open(ctx, dsn, keys, opts...)
	if err != nil {
		return nil, err
	}
	a.dsn = "postgres " + redactURL(dsn)
	return store, nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func (a *app) keyring() (*seal.Keyring, error) {
	if a.cfg.EncryptionKey != "" {
		keys, err := seal.ParseKeys(a.cfg.EncryptionKey)
		if err != nil {
			return nil, configError("%s: %s", config.EnvEncryptionKey, strings.TrimPrefix(err.Error(), "seal: "))
		}
		n := len(keys.IDs())
		a.keySource = fmt.Sprintf("%s (%d key%s, primary %s)", config.EnvEncryptionKey, n, plural(n), keys.PrimaryID())
		return keys, nil
	}
	path := a.cfg.SQLiteKeyFile()
	if path == "" {
		return nil, configError("%s is not set, and there is no data directory for a key file: set %s or %s",
			config.EnvEncryptionKey, config.EnvEncryptionKey, config.EnvDataDir)
	}
	key, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, withHint(err, "fix the key file, or set IGTOKEN_ENCRYPTION_KEY")
	}
	keys, err := seal.NewKeyring(key)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	a.keySource = fmt.Sprintf("key file %s (key %s)", path, keys.PrimaryID())
	return keys, nil
}

// emulatorClock returns the clock of the igtoken emulator at
// IGTOKEN_META_BASE_URL, if that is where it points, so that moving the
// emulator's clock forward (POST /_emulator/clock) moves igtoken's too.
// Against anything else it returns nil: igtoken uses the real time.
func (a *app) emulatorClock(ctx context.Context) func() time.Time {
	if a.cfg.MetaBaseURL == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.MetaBaseURL+"/_emulator/state", nil)
	if err != nil {
		return nil
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		a.log.Debug("no emulator clock", "err", err)
		return nil
	}
	defer resp.Body.Close()
	var st struct {
		Now time.Time `json:"now"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st) != nil || st.Now.IsZero() {
		a.log.Debug("no emulator clock", "status", resp.StatusCode)
		return nil
	}
	offset := time.Until(st.Now)
	a.log.Debug("following the emulator's clock", "offset", offset.Round(time.Second).String())
	return func() time.Time { return time.Now().Add(offset) }
}

// close closes the store, if it was opened.
func (a *app) close() error {
	if a.store == nil {
		return nil
	}
	err := a.store.Close()
	a.store, a.mgr = nil, nil
	if err != nil {
		return fmt.Errorf("close the database: %w", err)
	}
	return nil
}

// resolve finds the account ref names (an id or a username), or the only
// stored account when ref is empty.
func (a *app) resolve(ctx context.Context, m *igtoken.Manager, ref string) (*igtoken.Account, error) {
	if ref != "" {
		return m.Resolve(ctx, ref)
	}
	all, err := m.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	switch len(all) {
	case 0:
		return nil, errNoAccounts
	case 1:
		return all[0], nil
	}
	labels := make([]string, len(all))
	for i, acc := range all {
		labels[i] = label(acc.Username, acc.ID)
	}
	return nil, &hintedError{msg: igtoken.ErrAccountRequired.Error(), err: igtoken.ErrAccountRequired,
		hint: "stored accounts: " + strings.Join(labels, ", ")}
}

// errNoAccounts says no account is stored yet.
var errNoAccounts = &hintedError{msg: "no accounts stored yet", hint: hintConnect, err: igtoken.ErrNotFound}

// label names an account for people: "username (id)".
func label(username, id string) string {
	switch {
	case username == "":
		return id
	case id == "":
		return username
	}
	return username + " (" + id + ")"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// selectIDs returns the id of the account ref names, or nil (every account)
// when ref is empty.
func (a *app) selectIDs(ctx context.Context, m *igtoken.Manager, ref string) ([]string, error) {
	if ref == "" {
		return nil, nil
	}
	acc, err := m.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	return []string{acc.ID}, nil
}

// dsnLabel names the opened database for people, without credentials.
func (a *app) dsnLabel() string { return a.dsn }
