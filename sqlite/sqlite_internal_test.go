package sqlite

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igtoken/igtoken/internal/seal"
)

func TestOpen_Pragmas(t *testing.T) {
	t.Parallel()
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{1}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(t.TempDir(), "igtoken.db"), keys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Hold several connections at once so that the check is not limited to
	// the first one the pool made.
	ctx := t.Context()
	for i := range 3 {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, p := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"busy_timeout", "5000"},
			{"synchronous", "1"}, // NORMAL
		} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", p.pragma, err)
			}
			if got != p.want {
				t.Errorf("connection %d: PRAGMA %s = %q, want %q", i, p.pragma, got, p.want)
			}
		}
	}
}

func TestClaimDue_QueryPlanUsesIndex(t *testing.T) {
	t.Parallel()
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{1}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(Memory, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN
		SELECT id FROM accounts
		WHERE needs_reconnect = 0
			AND (next_refresh_at IS NULL OR next_refresh_at <= 0)
			AND (lease_owner IS NULL OR lease_owner = 'x' OR lease_until <= 0)
		ORDER BY next_refresh_at, id
		LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "accounts_next_refresh_at") {
		t.Errorf("ClaimDue's query plan %q does not use the next_refresh_at index", got)
	}
}
