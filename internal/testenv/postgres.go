package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresURLVar names the database PostgreSQL tests use.
const PostgresURLVar = "IGTOKEN_TEST_DATABASE_URL"

// PostgresURL returns a URL whose connections use a fresh schema in the
// test database, dropped with everything in it when tb ends, so that tests
// run in parallel. Without IGTOKEN_TEST_DATABASE_URL it skips tb, or fails
// it when CI=true: in CI a skipped PostgreSQL test would hide a broken store.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := PostgresBaseURL(tb)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "igt_" + hex.EncodeToString(b)
	execSQL(tb, base, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { execSQL(tb, base, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		tb.Fatalf("%s: want a postgres:// URL", PostgresURLVar)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresBaseURL returns IGTOKEN_TEST_DATABASE_URL, or skips tb (fails it
// when CI=true) without it.
func PostgresBaseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresURLVar)
	if base == "" {
		msg := PostgresURLVar + " is not set: to run the PostgreSQL tests set it to a database where they may create " +
			"schemas, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " (CI=true: a skipped PostgreSQL test counts as a failure)")
		}
		tb.Skip(msg)
	}
	return base
}

func execSQL(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", PostgresURLVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
