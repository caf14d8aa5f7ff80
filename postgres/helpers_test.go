package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/igtoken/igtoken/internal/seal"
)

// testURLVar names the database the tests use. They create a schema of
// their own in it for each store and drop it afterwards.
const testURLVar = "IGTOKEN_TEST_DATABASE_URL"

// testDatabaseURL returns the test database's URL. Without one it skips
// tb, or fails it under CI=true, where a skipped PostgreSQL test would
// hide a broken store.
func testDatabaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(testURLVar)
	if u == "" {
		msg := testURLVar + " is not set: to run the PostgreSQL tests, set it to a database in which they may " +
			"create and drop schemas, e.g. " + testURLVar + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " (CI=true: a skipped PostgreSQL test counts as a failure)")
		}
		tb.Skip(msg)
	}
	return u
}

// newSchema creates an empty schema, igt_<random>, in the test database
// and returns a URL whose connections use it. The schema is dropped, with
// everything in it, when tb ends (after the stores opened later in tb are
// closed: cleanups run last-in first-out).
func newSchema(tb testing.TB) string {
	tb.Helper()
	base := testDatabaseURL(tb)
	name := "igt_" + hex.EncodeToString(randomBytes(8))
	exec(tb, tb.Context(), base, `CREATE SCHEMA `+name)
	tb.Cleanup(func() {
		// tb's context is already canceled here.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		exec(tb, ctx, base, `DROP SCHEMA `+name+` CASCADE`)
	})
	u, err := withSearchPath(base, name)
	if err != nil {
		tb.Fatalf("%s: %v", testURLVar, err)
	}
	return u
}

// withSearchPath returns the connection string dsn, in URL or key=value
// form, with search_path set to schema.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// exec runs sql on a connection of its own to dsn.
func exec(tb testing.TB, ctx context.Context, dsn, sql string, args ...any) {
	tb.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// keyBytes returns the test key numbered n.
func keyBytes(n byte) []byte { return bytes.Repeat([]byte{n}, seal.KeySize) }

// testKeyring returns a keyring of the test keys numbered ns, the first
// primary.
func testKeyring(tb testing.TB, ns ...byte) *seal.Keyring {
	tb.Helper()
	var keys [][]byte
	for _, n := range ns {
		keys = append(keys, keyBytes(n))
	}
	k, err := seal.NewKeyring(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// openTest opens a store on dsn that is closed at the end of the test.
func openTest(tb testing.TB, dsn string, keys *seal.Keyring, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), dsn, keys, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
