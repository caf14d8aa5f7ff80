package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/igtoken/igtoken"
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

// mustSeed returns a store on a new schema holding n accounts, copied in
// with COPY and then vacuumed and analyzed, as autovacuum would. Their next
// refreshes are spread over 60 days starting 10 days before benchNow.
func mustSeed(tb testing.TB, n int) *Store {
	tb.Helper()
	s := openTest(tb, newSchema(tb), testKeyring(tb, 1))
	start := time.Now()
	seed(tb, s, n, benchNow.Add(-10*24*time.Hour), 60*24*time.Hour/time.Duration(n))
	if _, err := s.pool.Exec(tb.Context(), `VACUUM (ANALYZE) accounts`); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d accounts in %v", n, time.Since(start).Round(time.Millisecond))
	return s
}

// seedID and seedToken are the id and token value of seeded account i.
func seedID(i int) string    { return fmt.Sprintf("178414%011d", i) }
func seedToken(i int) string { return fmt.Sprintf("IGAAbenchmarkToken%0140d", i) } // about as long as a real one

// seed copies n accounts into s with COPY. Account i is due at
// firstDue + i*step.
func seed(tb testing.TB, s *Store, n int, firstDue time.Time, step time.Duration) {
	tb.Helper()
	rows := make([][]any, n)
	for i := range n {
		ciphertext, keyID, err := s.keys.Seal([]byte(seedToken(i)))
		if err != nil {
			tb.Fatal(err)
		}
		id := seedID(i)
		rows[i] = []any{
			id, "as" + id, fmt.Sprintf("user%06d", (i*7919)%n), // not in id order
			ciphertext, keyID, string(igtoken.LongLived),
			benchNow.Add(-20 * 24 * time.Hour), benchNow.Add(40 * 24 * time.Hour),
			benchNow.Add(-20 * 24 * time.Hour), firstDue.Add(time.Duration(i) * step), i % 7,
			benchNow, benchNow,
		}
	}
	columns := []string{"id", "app_scoped_id", "username",
		"token_ciphertext", "token_key_id", "token_kind",
		"token_issued_at", "token_expires_at",
		"last_refreshed_at", "next_refresh_at", "refresh_count",
		"created_at", "updated_at"}
	copied, err := s.pool.CopyFrom(tb.Context(), pgx.Identifier{"accounts"}, columns, pgx.CopyFromRows(rows))
	if err != nil {
		tb.Fatalf("copy %d accounts: %v", n, err)
	}
	if copied != int64(n) {
		tb.Fatalf("copied %d accounts, want %d", copied, n)
	}
}
