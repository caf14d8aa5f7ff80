// Package sqlite implements igtoken.Store on an embedded SQLite database
// (modernc.org/sqlite: pure Go, no cgo).
//
// The database runs in WAL mode with foreign keys on. Token values are
// sealed with a seal.Keyring before they reach the database; Open checks
// that the keyring can read what the database holds. Times are stored as
// INTEGER Unix seconds in UTC, NULL for the zero time, so they keep whole
// seconds only.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/seal"
)

// Memory, passed to Open as the path, opens a private in-memory database.
const Memory = ":memory:"

// connParams configure every connection. _txlock=immediate makes each
// transaction take the write lock when it begins, so two writers never
// both read and then deadlock upgrading; busy_timeout makes a writer wait
// for the lock instead of failing at once.
const connParams = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_txlock=immediate"

// fileParams are added for database files: WAL lets readers run alongside
// the writer, and synchronous=NORMAL is durable across application crashes
// (a power loss can lose the last transactions, never corrupt the file).
const fileParams = "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"

// maxConns bounds a file database's connection pool. SQLite has one writer
// at a time; more connections only add lock contention.
const maxConns = 8

// Store is an igtoken.Store on a SQLite database. It is safe for concurrent
// use by multiple goroutines; several processes may share the file too.
type Store struct {
	// Now returns the current time, used for CreatedAt, UpdatedAt and
	// history entries added without a time. Open sets it to time.Now;
	// tests may replace it before using the Store.
	Now func() time.Time

	db   *sql.DB
	keys *seal.Keyring
	path string
}

var _ igtoken.Store = (*Store)(nil)

// Open opens the SQLite database at path, creating it if needed, applies
// pending migrations and checks that keys can decrypt the stored tokens.
//
// A new database file is created with mode 0600 (its WAL files inherit
// that), in a directory created with mode 0700 if missing. The path Memory
// opens a private in-memory database that lives until Close.
//
// If the database's tokens were sealed with a key missing from keys, Open
// returns an error wrapping igtoken.ErrWrongKey that names that key's id.
func Open(path string, keys *seal.Keyring) (*Store, error) {
	if keys == nil {
		return nil, errors.New("open sqlite database: no encryption keys")
	}
	dsn, err := prepare(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if path == Memory {
		// Each connection to :memory: is a separate, empty database, and it
		// vanishes when its connection closes.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		db.SetMaxOpenConns(maxConns)
		db.SetMaxIdleConns(maxConns)
	}

	s := &Store{Now: time.Now, db: db, keys: keys, path: path}
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if err := s.checkKey(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	return s, nil
}

// prepare returns the DSN for path. For a file it first creates the
// directory and an empty file with mode 0600, so that SQLite never creates
// it with the umask's wider permissions.
func prepare(path string) (string, error) {
	switch {
	case path == "":
		return "", errors.New("empty path")
	case path == Memory:
		return Memory + "?" + connParams, nil
	case strings.HasPrefix(path, "file:"):
		return "", errors.New("give a file path, not a file: URI")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("create database file: %w", err)
	}
	// A file: URI with an escaped path works for any file name, including
	// ones with "?" or "#", which a plain DSN would cut short.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: connParams + fileParams}
	return u.String(), nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite database: %w", err)
	}
	return nil
}

// now returns the store's current time in Unix seconds.
func (s *Store) now() int64 { return s.Now().Unix() }

// toUnix encodes t for an INTEGER column: Unix seconds, or NULL for the zero
// time. Sub-second precision is dropped.
func toUnix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// toUnixCeil encodes a lease's end, rounding up so that a lease never ends
// early.
func toUnixCeil(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}

// fromUnix decodes what toUnix encoded, in UTC.
func fromUnix(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

// boolInt encodes b for an INTEGER column of a STRICT table.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
