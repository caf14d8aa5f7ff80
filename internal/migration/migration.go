// Package migration lists and applies a store's embedded schema
// migrations, so that both stores name, order and apply them by the same
// rules.
package migration

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migration is one embedded SQL file, NNNN_name.sql.
type Migration struct {
	Version int
	Name    string // the file's path in the FS
}

// List returns the *.sql files in dir of fsys, ordered by the positive
// number their name starts with, which must grow strictly.
func List(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, dir+"/*.sql") // sorted
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		base := path.Base(name)
		prefix, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", base)
		}
		if len(out) > 0 && out[len(out)-1].Version >= v {
			return nil, fmt.Errorf("migration %s: version %d is not greater than the previous one", base, v)
		}
		out = append(out, Migration{Version: v, Name: name})
	}
	if len(out) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return out, nil
}

// Tx is what Apply needs from a transaction holding the store's migration
// lock; each store adapts its own driver.
type Tx interface {
	// Exec runs one statement, or a file of several without arguments.
	Exec(ctx context.Context, sql string, args ...any) error
	// Version returns the highest version in schema_migrations (0 if none).
	Version(ctx context.Context) (int, error)
}

// Apply applies, in tx, the migrations of fsys the database lacks and
// records each with record, an INSERT taking (version, name, applied_at)
// in the store's placeholder syntax. It refuses a database whose schema is
// newer than ms knows: an older igtoken must not write to it.
func Apply(ctx context.Context, tx Tx, fsys fs.FS, ms []Migration, record string, now any) error {
	current, err := tx.Version(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := ms[len(ms)-1].Version; current > latest {
		return fmt.Errorf("the database has schema version %d, newer than this igtoken knows (%d): upgrade igtoken", current, latest)
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		body, err := fs.ReadFile(fsys, m.Name)
		if err != nil {
			return err
		}
		if err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("apply %s: %w", path.Base(m.Name), err)
		}
		if err := tx.Exec(ctx, record, m.Version, path.Base(m.Name), now); err != nil {
			return fmt.Errorf("record %s: %w", path.Base(m.Name), err)
		}
	}
	return nil
}
