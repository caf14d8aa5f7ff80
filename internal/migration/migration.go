// Package migration lists a store's embedded schema migrations, so that
// both stores name, number and order them by the same rules.
package migration

import (
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
