package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/migration"
	"github.com/igtoken/igtoken/internal/seal"
)

// migrations holds the schema changes, applied in the order of their
// numeric prefix (0001_init.sql, 0002_….sql). A released file never
// changes: a schema change is a new file.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrateLockID is the key of the advisory lock Migrate holds: "igtoken" in
// ASCII. Advisory locks are per database, so igtoken schemas sharing one
// database take turns to migrate, which costs nothing but a short wait.
const migrateLockID int64 = 0x6967746f6b656e

// PostgreSQL error codes (SQLSTATE) the store reacts to.
const (
	codeUndefinedTable      = "42P01"
	codeForeignKeyViolation = "23503"
)

// Migrate applies the migrations the database lacks, in one transaction,
// and records them in the schema_migrations table. The transaction first
// takes an advisory lock, so replicas starting at once apply each
// migration once: the others wait, then find nothing to do. Open calls it
// unless given NoMigrate; it is safe to call again.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migration.List(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockID); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	// Without arguments pgx uses the simple protocol, which runs a file of
	// several statements.
	err = migration.Apply(ctx, pgTx{tx}, migrations, ms,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, s.now())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// pgTx adapts a pgx.Tx to migration.Tx.
type pgTx struct{ tx pgx.Tx }

func (t pgTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.Exec(ctx, query, args...)
	return err
}

func (t pgTx) Version(ctx context.Context) (v int, err error) {
	err = t.tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// checkSchema makes sure that no migration is pending, for Open with
// NoMigrate.
func (s *Store) checkSchema(ctx context.Context) error {
	ms, err := migration.List(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	latest := ms[len(ms)-1].Version
	var current int
	err = s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == codeUndefinedTable {
		current, err = 0, nil
	}
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if current < latest {
		return fmt.Errorf("check schema: the database has schema version %d, this igtoken needs %d: "+
			"run `igtoken migrate`, or start without --no-migrate", current, latest)
	}
	return nil
}

// keyCheckPlaintext is sealed into the key_check table.
const keyCheckPlaintext = "igtoken key check"

// checkKey makes sure the keyring can open the database's key check value,
// and stores one, sealed with the primary key, in a new database. When
// processes start at once on a new database, the first to store its value
// wins and the others check theirs against it.
func (s *Store) checkKey(ctx context.Context) error {
	keyID, ciphertext, err := s.readKeyCheck(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		if err := s.putKeyCheck(ctx, s.pool, false); err != nil {
			return err
		}
		keyID, ciphertext, err = s.readKeyCheck(ctx)
	}
	if err != nil {
		return fmt.Errorf("check encryption key: %w", err)
	}

	plaintext, err := s.keys.Open(ciphertext, keyID)
	if err == nil && string(plaintext) != keyCheckPlaintext {
		err = seal.ErrDecrypt
	}
	if err != nil {
		return s.wrongKey("the database", keyID, err)
	}
	return nil
}

func (s *Store) readKeyCheck(ctx context.Context) (keyID string, ciphertext []byte, err error) {
	err = s.pool.QueryRow(ctx, `SELECT key_id, ciphertext FROM key_check WHERE id = 1`).Scan(&keyID, &ciphertext)
	return keyID, ciphertext, err
}

// wrongKey explains why what (a singular noun phrase), sealed with the key
// keyID, cannot be opened with the configured keys; err is the error from
// seal. The result names key ids only, never a value, and wraps
// igtoken.ErrWrongKey.
func (s *Store) wrongKey(what, keyID string, err error) error {
	if errors.Is(err, seal.ErrUnknownKey) {
		return fmt.Errorf("%s was encrypted with key %s, which is not among the configured keys (%s); "+
			"IGTOKEN_ENCRYPTION_KEY must include it: %w",
			what, keyID, strings.Join(s.keys.IDs(), ", "), igtoken.ErrWrongKey)
	}
	return fmt.Errorf("%s, encrypted with key %s, does not decrypt with the configured key of that id "+
		"(the database was altered or is corrupted): %w", what, keyID, igtoken.ErrWrongKey)
}

// execer is a *pgxpool.Pool or a pgx.Tx.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// putKeyCheck seals the key check value with the primary key and stores
// it: if replace, in place of any previous one, else only if there is none.
func (s *Store) putKeyCheck(ctx context.Context, db execer, replace bool) error {
	ciphertext, keyID, err := s.keys.Seal([]byte(keyCheckPlaintext))
	if err != nil {
		return fmt.Errorf("seal key check value: %w", err)
	}
	conflict := `DO NOTHING`
	if replace {
		conflict = `DO UPDATE SET key_id = excluded.key_id, ciphertext = excluded.ciphertext, created_at = excluded.created_at`
	}
	if _, err := db.Exec(ctx, `INSERT INTO key_check (id, key_id, ciphertext, created_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) `+conflict, keyID, ciphertext, s.now()); err != nil {
		return fmt.Errorf("store key check value: %w", err)
	}
	return nil
}
