package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"

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

// Migrate applies the migrations the database lacks, in one transaction,
// and records them in the schema_migrations table. Open calls it; it is
// safe to call again, and from several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migration.List(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	err = migration.Apply(ctx, sqlTx{tx}, migrations, ms,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, s.now())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// sqlTx adapts a *sql.Tx to migration.Tx.
type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, query, args...)
	return err
}

func (t sqlTx) Version(ctx context.Context) (v int, err error) {
	err = t.tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// keyCheckPlaintext is sealed into the key_check table.
const keyCheckPlaintext = "igtoken key check"

// checkKey makes sure the keyring can open the database's key check value,
// and stores one, sealed with the primary key, in a new database.
func (s *Store) checkKey(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("check encryption key: %w", err)
	}
	defer tx.Rollback()

	var keyID string
	var ciphertext []byte
	err = tx.QueryRowContext(ctx, `SELECT key_id, ciphertext FROM key_check WHERE id = 1`).Scan(&keyID, &ciphertext)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := s.putKeyCheck(ctx, tx); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("check encryption key: %w", err)
		}
		return nil
	case err != nil:
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

// wrongKey explains why what (a singular noun phrase), sealed with the key
// keyID, cannot be opened with the configured keys; err is the error from
// seal. The result names key ids only, never a value, and wraps
// igtoken.ErrWrongKey.
func (s *Store) wrongKey(what, keyID string, err error) error {
	if errors.Is(err, seal.ErrUnknownKey) {
		return fmt.Errorf("%s was encrypted with key %s, which is not among the configured keys (%s); "+
			"IGTOKEN_ENCRYPTION_KEY (or the key file) must include it: %w",
			what, keyID, strings.Join(s.keys.IDs(), ", "), igtoken.ErrWrongKey)
	}
	return fmt.Errorf("%s, encrypted with key %s, does not decrypt with the configured key of that id "+
		"(the database was altered or is corrupted): %w", what, keyID, igtoken.ErrWrongKey)
}

// putKeyCheck seals the key check value with the primary key, replacing any
// previous one.
func (s *Store) putKeyCheck(ctx context.Context, tx *sql.Tx) error {
	ciphertext, keyID, err := s.keys.Seal([]byte(keyCheckPlaintext))
	if err != nil {
		return fmt.Errorf("seal key check value: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO key_check (id, key_id, ciphertext, created_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, ciphertext = excluded.ciphertext, created_at = excluded.created_at`,
		keyID, ciphertext, s.now()); err != nil {
		return fmt.Errorf("store key check value: %w", err)
	}
	return nil
}
