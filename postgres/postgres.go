// Package postgres implements igtoken.Store on PostgreSQL (pgx, through a
// pgxpool), for several igtoken processes sharing the work.
//
// Replicas coordinate through the database only: refresh leases are columns
// of the accounts table, ClaimDue picks accounts with FOR UPDATE SKIP
// LOCKED, token writes are compare-and-swap on a version, and migrations run
// under a transaction-scoped advisory lock.
//
// Token values are sealed with a seal.Keyring before they reach the
// database; Open checks that the keyring can read what the database holds.
// Times are timestamptz, NULL for the zero time, and keep microseconds; they
// come back in UTC. The free-text diagnostics (Status.LastError,
// Status.ReconnectReason, HistoryEntry.Error) are stored as valid UTF-8
// without NUL bytes, which PostgreSQL text cannot hold: other bytes are
// replaced with U+FFFD.
//
// The tables live in the first schema of the connection's search_path,
// which the URL may set: postgres://host/db?search_path=igtoken.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/seal"
)

// Store is an igtoken.Store on a PostgreSQL database. It is safe for
// concurrent use by multiple goroutines, and several processes may share
// the database.
type Store struct {
	// Now returns the current time, used for CreatedAt, UpdatedAt and
	// history entries added without a time. Open sets it to time.Now;
	// tests may replace it before using the Store.
	Now func() time.Time

	pool  *pgxpool.Pool
	keys  *seal.Keyring
	label string // host and database, for messages; never the password

	// batchSize is how many tokens Reencrypt re-seals per transaction.
	batchSize int
}

var _ igtoken.Store = (*Store)(nil)

// An Option changes how Open opens the database.
type Option func(*options)

type options struct {
	noMigrate bool
}

// NoMigrate makes Open leave the schema alone instead of applying pending
// migrations, for deployments that run `igtoken migrate` as a separate step
// (serve --no-migrate). Open then fails if migrations are pending; a schema
// newer than this igtoken knows is accepted, so that replicas of the
// previous release keep running while a new one rolls out.
func NoMigrate() Option {
	return func(o *options) { o.noMigrate = true }
}

// Open connects to the PostgreSQL database at url (postgres://… or
// key=value form, as pgx accepts), applies pending migrations unless
// NoMigrate is given, and checks that keys can decrypt the stored tokens.
// Parameters pgx does not know, such as search_path, are set on every
// connection. ctx bounds the opening only, not the Store's life.
//
// If the database's tokens were sealed with a key missing from keys, Open
// returns an error wrapping igtoken.ErrWrongKey that names that key's id.
func Open(ctx context.Context, url string, keys *seal.Keyring, opts ...Option) (*Store, error) {
	if keys == nil {
		return nil, errors.New("open postgres database: no encryption keys")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url) // its errors redact the password
	if err != nil {
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "igtoken"
	}
	label := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	if sp := cfg.ConnConfig.RuntimeParams["search_path"]; sp != "" {
		label += " (search_path " + sp + ")"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres database %s: %w", label, err)
	}

	s := &Store{Now: time.Now, pool: pool, keys: keys, label: label, batchSize: 500}
	if o.noMigrate {
		err = s.checkSchema(ctx)
	} else {
		err = s.Migrate(ctx)
	}
	if err == nil {
		err = s.checkKey(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres database %s: %w", label, err)
	}
	return s, nil
}

// Close closes every connection, waiting for those in use to be released.
// It always returns nil.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres database %s: %w", s.label, err)
	}
	return nil
}

// now returns the store's current time as PostgreSQL keeps it: UTC, whole
// microseconds.
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// toTimestamp encodes t for a timestamptz column: NULL for the zero time.
// pgx drops what is below the microsecond.
func toTimestamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// ceilMicro rounds a lease's end up to the microsecond, so that storing it
// never makes the lease end early.
func ceilMicro(t time.Time) time.Time {
	if c := t.Truncate(time.Microsecond); c.Before(t) {
		return c.Add(time.Microsecond)
	}
	return t
}

// fromTimestamp decodes a nullable timestamptz, in UTC.
func fromTimestamp(ts pgtype.Timestamptz) time.Time {
	if !ts.Valid {
		return time.Time{}
	}
	return ts.Time.UTC()
}

// cleanText makes s storable in a text column: valid UTF-8 without NUL.
// It is for diagnostics only; identities are stored as given.
func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
