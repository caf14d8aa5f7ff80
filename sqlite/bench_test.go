package sqlite

import (
	"bytes"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/seal"
)

// benchNow is the benchmarks' "now"; a sixth of the seeded accounts are
// due at it.
var benchNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// BenchmarkAccounts100k lists 100,000 accounts, decrypting every token.
func BenchmarkAccounts100k(b *testing.B) {
	const n = 100_000
	s := mustSeed(b, n)
	b.ReportAllocs()
	for b.Loop() {
		as, err := s.Accounts(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if len(as) != n {
			b.Fatalf("Accounts returned %d accounts, want %d", len(as), n)
		}
	}
}

// BenchmarkClaimDue500 claims the 500 most overdue of 100,000 accounts,
// about 16,000 of which are due. The same owner claims every time, so each
// iteration renews the same 500 leases: the full select, update and decrypt
// work.
func BenchmarkClaimDue500(b *testing.B) {
	const n, limit = 100_000, 500
	s := mustSeed(b, n)
	b.ReportAllocs()
	for b.Loop() {
		as, err := s.ClaimDue(b.Context(), "bench", benchNow, benchNow.Add(time.Minute), limit)
		if err != nil {
			b.Fatal(err)
		}
		if len(as) != limit {
			b.Fatalf("ClaimDue returned %d accounts, want %d", len(as), limit)
		}
	}
}

// mustSeed returns a store on a new database file holding n accounts,
// inserted in one transaction through one prepared statement. Their next
// refreshes are spread over 60 days starting 10 days before benchNow.
func mustSeed(tb testing.TB, n int) *Store {
	tb.Helper()
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{1}, seal.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Open(filepath.Join(tb.TempDir(), "bench.db"), keys)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })

	start := time.Now()
	ctx := tb.Context()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, insertAccount)
	if err != nil {
		tb.Fatal(err)
	}
	defer stmt.Close()
	spread := 60 * 24 * time.Hour / time.Duration(n)
	for i := range n {
		id := fmt.Sprintf("178414%011d", i)
		tok := igtoken.Token{
			Value:     fmt.Sprintf("IGAAbenchmarkToken%0140d", i), // about as long as a real one
			Kind:      igtoken.LongLived,
			IssuedAt:  benchNow.Add(-20 * 24 * time.Hour),
			ExpiresAt: benchNow.Add(40 * 24 * time.Hour),
		}
		st := igtoken.Status{
			LastRefreshedAt: benchNow.Add(-20 * 24 * time.Hour),
			NextRefreshAt:   benchNow.Add(-10*24*time.Hour + time.Duration(i)*spread),
			RefreshCount:    i % 7,
		}
		args, err := s.tokenArgs(tok)
		if err != nil {
			tb.Fatal(err)
		}
		args = append(args, statusArgs(st)...)
		args = append(args,
			sql.Named("id", id),
			sql.Named("app_scoped_id", "as"+id),
			sql.Named("username", fmt.Sprintf("user%06d", (i*7919)%n)), // not in id order
			sql.Named("now", benchNow.Unix()),
		)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			tb.Fatalf("insert account %d: %v", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	// Move the seed out of the WAL, as time and checkpoints would.
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d accounts in %v", n, time.Since(start).Round(time.Millisecond))
	return s
}
