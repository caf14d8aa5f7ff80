package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/seal"
	"github.com/igtoken/igtoken/sqlite"
	"github.com/igtoken/igtoken/storetest"
)

func TestStore_File(t *testing.T) {
	t.Parallel()
	keys := mustKeyring(t, 1)
	storetest.Run(t, func(tb testing.TB) igtoken.Store {
		return mustOpen(tb, filepath.Join(tb.TempDir(), "igtoken.db"), keys)
	})
}

func TestStore_Memory(t *testing.T) {
	t.Parallel()
	keys := mustKeyring(t, 1)
	storetest.Run(t, func(tb testing.TB) igtoken.Store {
		return mustOpen(tb, sqlite.Memory, keys)
	})
}

func TestOpen_FileModes(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	dir := filepath.Join(t.TempDir(), "new", "data")
	path := filepath.Join(dir, "igtoken.db")
	s := mustOpen(t, path, mustKeyring(t, 1))
	mustPut(t, s, newAccount("1001", "IGAA-secret")) // makes the WAL files exist

	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", filepath.Base(p), err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s = %04o, want 0600", filepath.Base(p), got)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("mode of the created directory = %04o, want 0700", got)
	}
}

func TestOpen_UnusualPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "my data?x=1#frag %20")
	path := filepath.Join(dir, "token store.db")
	s := mustOpen(t, path, mustKeyring(t, 1))
	mustPut(t, s, newAccount("1001", "IGAA-secret"))
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database is not at the path given: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "token store.db") {
			t.Errorf("unexpected file %q next to the database", e.Name())
		}
	}
}

func TestOpen_Errors(t *testing.T) {
	t.Parallel()
	keys := mustKeyring(t, 1)
	tests := []struct {
		name string
		path string
		keys *seal.Keyring
	}{
		{name: "NoKeys", path: filepath.Join(t.TempDir(), "x.db"), keys: nil},
		{name: "EmptyPath", path: "", keys: keys},
		{name: "URI", path: "file:x.db?mode=ro", keys: keys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if s, err := sqlite.Open(tt.path, tt.keys); err == nil {
				s.Close()
				t.Errorf("Open(%q) succeeded, want an error", tt.path)
			}
		})
	}
}

func TestOpen_WrongKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "igtoken.db")
	right, wrong := mustKeyring(t, 1), mustKeyring(t, 2)
	s := mustOpen(t, path, right)
	a := newAccount("1001", "IGAA-keep-me")
	mustPut(t, s, a)
	mustClose(t, s)

	_, err := sqlite.Open(path, wrong)
	if !errors.Is(err, igtoken.ErrWrongKey) {
		t.Fatalf("Open with the wrong key: error = %v, want ErrWrongKey", err)
	}
	for _, want := range []string{right.PrimaryID(), wrong.PrimaryID(), "IGTOKEN_ENCRYPTION_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	// The data is intact: the right key still reads it, alone or as the
	// older key of a rotated keyring.
	for _, keys := range []*seal.Keyring{right, mustKeyring(t, 2, 1)} {
		s := mustOpen(t, path, keys)
		got, err := s.Account(t.Context(), a.ID)
		if err != nil {
			t.Fatalf("Account with keys %v: %v", keys, err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("account with keys %v mismatch (-put +got):\n%s", keys, diff)
		}
		mustClose(t, s)
	}
}

func TestOpen_KeyCheckAltered(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "igtoken.db")
	mustClose(t, mustOpen(t, path, mustKeyring(t, 1)))
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `UPDATE key_check SET ciphertext = zeroblob(40)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = sqlite.Open(path, mustKeyring(t, 1))
	if !errors.Is(err, igtoken.ErrWrongKey) || !strings.Contains(err.Error(), "altered") {
		t.Errorf("Open with an altered key check: error = %v, want ErrWrongKey saying the database was altered", err)
	}
}

func TestAccount_TokenSealedWithMissingKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "igtoken.db")
	// The database is created with key 1; a token is then written with
	// key 2 as primary; key 2 is later dropped by mistake.
	mustClose(t, mustOpen(t, path, mustKeyring(t, 1)))
	s := mustOpen(t, path, mustKeyring(t, 2, 1))
	mustPut(t, s, newAccount("1001", "IGAA-under-key-2"))
	mustClose(t, s)

	s = mustOpen(t, path, mustKeyring(t, 1))
	for name, call := range map[string]func() error{
		"Account":  func() error { _, err := s.Account(t.Context(), "1001"); return err },
		"Accounts": func() error { _, err := s.Accounts(t.Context()); return err },
		"ClaimDue": func() error {
			_, err := s.ClaimDue(t.Context(), "me", time.Now(), time.Now().Add(time.Minute), 10)
			return err
		},
	} {
		err := call()
		if !errors.Is(err, igtoken.ErrWrongKey) {
			t.Errorf("%s error = %v, want ErrWrongKey", name, err)
			continue
		}
		if id := seal.KeyID(keyBytes(2)); !strings.Contains(err.Error(), "1001") || !strings.Contains(err.Error(), id) {
			t.Errorf("%s error %q does not name the account and key %s", name, err, id)
		}
		if strings.Contains(err.Error(), "IGAA-under-key-2") {
			t.Errorf("%s error contains the token value", name)
		}
	}
}

func TestStore_Reencrypt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "igtoken.db")
	s := mustOpen(t, path, mustKeyring(t, 1))
	a, b := newAccount("1001", "IGAA-one"), newAccount("1002", "IGAA-two")
	mustPut(t, s, a)
	mustPut(t, s, b)
	mustClose(t, s)

	s = mustOpen(t, path, mustKeyring(t, 2, 1))
	n, err := s.Reencrypt(t.Context())
	if err != nil {
		t.Fatalf("Reencrypt: %v", err)
	}
	if n != 2 {
		t.Errorf("Reencrypt re-sealed %d tokens, want 2", n)
	}
	if n, err := s.Reencrypt(t.Context()); err != nil || n != 0 {
		t.Errorf("second Reencrypt = %d, %v; want 0, nil", n, err)
	}
	usage, err := s.KeyUsage(t.Context())
	if want := map[string]int{mustKeyring(t, 2).PrimaryID(): 2}; err != nil || !cmp.Equal(usage, want) {
		t.Errorf("KeyUsage = %v, %v; want %v", usage, err, want)
	}
	mustClose(t, s)

	// Key 1 can now be dropped.
	s = mustOpen(t, path, mustKeyring(t, 2))
	got, err := s.Accounts(t.Context())
	if err != nil {
		t.Fatalf("Accounts with the new key only: %v", err)
	}
	if diff := cmp.Diff([]*igtoken.Account{a, b}, got); diff != "" {
		t.Errorf("accounts after re-encryption mismatch (-want +got):\n%s", diff)
	}
}

func TestStore_FileHoldsNoTokenValue(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "igtoken.db")
	const token = "IGAAsecretTOKENvalue0123456789abcdefXYZ"
	s := mustOpen(t, path, mustKeyring(t, 1))
	a := newAccount("1001", token)
	a.Username = "visible_username"
	mustPut(t, s, a)
	if _, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, igtoken.Token{Value: token + "-2", Kind: igtoken.LongLived}, igtoken.Status{}); err != nil {
		t.Fatal(err)
	}

	// Check while the WAL holds the writes, and after Close checkpoints them.
	for _, when := range []string{"open", "closed"} {
		if when == "closed" {
			mustClose(t, s)
		}
		var all []byte
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, data...)
		}
		if !bytes.Contains(all, []byte("visible_username")) {
			t.Fatalf("%s: the database files do not hold the username: the scan looks in the wrong place", when)
		}
		if bytes.Contains(all, []byte(token)) {
			t.Errorf("%s: the database files contain the token value", when)
		}
	}
}

func TestMigrate_Once(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "igtoken.db")
	keys := mustKeyring(t, 1)
	s := mustOpen(t, path, keys)
	mustPut(t, s, newAccount("1001", "IGAA-kept"))
	mustClose(t, s)
	before := mustMigrations(t, path)
	if len(before) == 0 {
		t.Fatal("no migration recorded")
	}

	s = mustOpen(t, path, keys)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := s.Account(t.Context(), "1001"); err != nil {
		t.Errorf("Account after reopening: %v", err)
	}
	mustClose(t, s)
	if diff := cmp.Diff(before, mustMigrations(t, path)); diff != "" {
		t.Errorf("schema_migrations changed by reopening (-before +after):\n%s", diff)
	}
}

func TestOpen_Concurrent(t *testing.T) {
	t.Parallel()
	// Processes starting at once race to create the schema and key check.
	path := filepath.Join(t.TempDir(), "igtoken.db")
	keys := mustKeyring(t, 1)
	const n = 6
	stores := make([]*sqlite.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = sqlite.Open(path, keys) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		mustClose(t, stores[i])
	}
	files, _ := filepath.Glob("migrations/*.sql")
	if got := len(mustMigrations(t, path)); got != len(files) {
		t.Errorf("%d migrations recorded, want each of the %d once", got, len(files))
	}
}

func TestLease_SubSecond(t *testing.T) {
	t.Parallel()
	// Times are stored in whole seconds; a lease must still never end early.
	s := mustOpen(t, sqlite.Memory, mustKeyring(t, 1))
	mustPut(t, s, newAccount("1001", "IGAA-x"))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.AcquireLease(t.Context(), "1001", "A", t0, t0.Add(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	err := s.AcquireLease(t.Context(), "1001", "B", t0.Add(400*time.Millisecond), t0.Add(time.Minute))
	if !errors.Is(err, igtoken.ErrLeased) {
		t.Errorf("AcquireLease(B) before A's lease ends: error = %v, want ErrLeased", err)
	}
	if err := s.AcquireLease(t.Context(), "1001", "B", t0.Add(time.Second), t0.Add(time.Minute)); err != nil {
		t.Errorf("AcquireLease(B) after A's lease ended: %v", err)
	}
}

func TestAddHistory_UnknownAccount(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, sqlite.Memory, mustKeyring(t, 1))
	err := s.AddHistory(t.Context(), &igtoken.HistoryEntry{AccountID: "404", Trigger: igtoken.TriggerCLI, Outcome: igtoken.OutcomeFailed})
	if !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("AddHistory(unknown account) error = %v, want ErrNotFound", err)
	}
}

func TestStore_Now(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, sqlite.Memory, mustKeyring(t, 1))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	a := newAccount("1001", "IGAA-x")
	mustPut(t, s, a)
	if !a.CreatedAt.Equal(now) || !a.UpdatedAt.Equal(now) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want both %v from Store.Now", a.CreatedAt, a.UpdatedAt, now)
	}
	h := &igtoken.HistoryEntry{AccountID: a.ID, Trigger: igtoken.TriggerCLI, Outcome: igtoken.OutcomeRefreshed}
	if err := s.AddHistory(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	if !h.At.Equal(now) {
		t.Errorf("history At = %v, want %v from Store.Now", h.At, now)
	}

	// Later writes move UpdatedAt only.
	created := now
	for _, write := range []struct {
		name string
		do   func() error
	}{
		{"PutAccount", func() error { return s.PutAccount(t.Context(), newAccount("1001", "IGAA-y"), igtoken.AnyVersion) }},
		{"UpdateToken", func() error {
			a := mustAccount(t, s, "1001")
			_, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, igtoken.Token{Value: "IGAA-z"}, igtoken.Status{})
			return err
		}},
		{"UpdateStatus", func() error {
			a := mustAccount(t, s, "1001")
			return s.UpdateStatus(t.Context(), a.ID, a.Token.Version, igtoken.Status{Failures: 1})
		}},
	} {
		now = now.Add(time.Hour)
		if err := write.do(); err != nil {
			t.Fatalf("%s: %v", write.name, err)
		}
		got := mustAccount(t, s, "1001")
		if !got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(now) {
			t.Errorf("after %s: CreatedAt, UpdatedAt = %v, %v; want %v, %v", write.name, got.CreatedAt, got.UpdatedAt, created, now)
		}
	}
}

func mustAccount(tb testing.TB, s *sqlite.Store, id string) *igtoken.Account {
	tb.Helper()
	a, err := s.Account(tb.Context(), id)
	if err != nil {
		tb.Fatalf("Account(%s): %v", id, err)
	}
	return a
}

// keyBytes returns the test key numbered n.
func keyBytes(n byte) []byte { return bytes.Repeat([]byte{n}, seal.KeySize) }

// mustKeyring returns a keyring of the test keys numbered ns, the first
// primary.
func mustKeyring(tb testing.TB, ns ...byte) *seal.Keyring {
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

// mustOpen opens a store that is closed at the end of the test.
func mustOpen(tb testing.TB, path string, keys *seal.Keyring) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path, keys)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustClose(tb testing.TB, s *sqlite.Store) {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// newAccount returns a due account holding token.
func newAccount(id, token string) *igtoken.Account {
	return &igtoken.Account{
		ID:       id,
		Username: "user" + id,
		Token: igtoken.Token{
			Value:     token,
			Kind:      igtoken.LongLived,
			IssuedAt:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			ExpiresAt: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		},
	}
}

func mustPut(tb testing.TB, s *sqlite.Store, a *igtoken.Account) {
	tb.Helper()
	if err := s.PutAccount(tb.Context(), a, igtoken.AnyVersion); err != nil {
		tb.Fatalf("PutAccount(%s): %v", a.ID, err)
	}
}

// migrationRow is a row of schema_migrations.
type migrationRow struct {
	Version   int64
	Name      string
	AppliedAt int64
}

// mustMigrations reads schema_migrations from the database file directly.
func mustMigrations(tb testing.TB, path string) []migrationRow {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(tb.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var m migrationRow
		if err := rows.Scan(&m.Version, &m.Name, &m.AppliedAt); err != nil {
			tb.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
