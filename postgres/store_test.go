package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/seal"
	"github.com/igtoken/igtoken/postgres"
	"github.com/igtoken/igtoken/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	postgres.DatabaseURL(t) // skip (or fail) once, not in every subtest
	keys := postgres.TestKeyring(t, 1)
	storetest.Run(t, func(tb testing.TB) igtoken.Store {
		return postgres.OpenTest(tb, postgres.NewSchema(tb), keys)
	})
}

func TestOpen_WrongKey(t *testing.T) {
	t.Parallel()
	url := postgres.NewSchema(t)
	right, wrong := postgres.TestKeyring(t, 1), postgres.TestKeyring(t, 2)
	s := postgres.OpenTest(t, url, right)
	a := newAccount("1001", "IGAA-keep-me")
	mustPut(t, s, a)
	mustClose(t, s)

	_, err := postgres.Open(t.Context(), url, wrong)
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
	for _, keys := range []*seal.Keyring{right, postgres.TestKeyring(t, 2, 1)} {
		s := postgres.OpenTest(t, url, keys)
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
	url := postgres.NewSchema(t)
	mustClose(t, postgres.OpenTest(t, url, postgres.TestKeyring(t, 1)))
	mustExec(t, url, `UPDATE key_check SET ciphertext = '\x00000000000000000000000000000000000000000000000000'::bytea`)

	_, err := postgres.Open(t.Context(), url, postgres.TestKeyring(t, 1))
	if !errors.Is(err, igtoken.ErrWrongKey) || !strings.Contains(err.Error(), "altered") {
		t.Errorf("Open with an altered key check: error = %v, want ErrWrongKey saying the database was altered", err)
	}
}

func TestAccount_TokenSealedWithMissingKey(t *testing.T) {
	t.Parallel()
	url := postgres.NewSchema(t)
	// The database is created with key 1; a token is then written with
	// key 2 as primary; key 2 is later dropped by mistake.
	mustClose(t, postgres.OpenTest(t, url, postgres.TestKeyring(t, 1)))
	s := postgres.OpenTest(t, url, postgres.TestKeyring(t, 2, 1))
	mustPut(t, s, newAccount("1001", "IGAA-under-key-2"))
	mustClose(t, s)

	s = postgres.OpenTest(t, url, postgres.TestKeyring(t, 1))
	for name, call := range map[string]func() error{
		"Account":  func() error { _, err := s.Account(t.Context(), "1001"); return err },
		"Accounts": func() error { _, err := s.Accounts(t.Context()); return err },
		"ClaimDue": func() error {
			_, err := s.ClaimDue(t.Context(), "me", time.Now(), time.Now().Add(time.Minute), 10)
			return err
		},
		"Reencrypt": func() error { _, err := s.Reencrypt(t.Context()); return err },
	} {
		err := call()
		if !errors.Is(err, igtoken.ErrWrongKey) {
			t.Errorf("%s error = %v, want ErrWrongKey", name, err)
			continue
		}
		if id := seal.KeyID(postgres.KeyBytes(2)); !strings.Contains(err.Error(), "1001") || !strings.Contains(err.Error(), id) {
			t.Errorf("%s error %q does not name the account and key %s", name, err, id)
		}
		if strings.Contains(err.Error(), "IGAA-under-key-2") {
			t.Errorf("%s error contains the token value", name)
		}
	}

	// The failed ClaimDue took no lease.
	s2 := postgres.OpenTest(t, url, postgres.TestKeyring(t, 2, 1))
	if err := s2.AcquireLease(t.Context(), "1001", "other", time.Now(), time.Now().Add(time.Minute)); err != nil {
		t.Errorf("AcquireLease after a failed ClaimDue: %v, want no lease left behind", err)
	}
}

func TestStore_Reencrypt(t *testing.T) {
	t.Parallel()
	url := postgres.NewSchema(t)
	s := postgres.OpenTest(t, url, postgres.TestKeyring(t, 1))
	a, b := newAccount("1001", "IGAA-one"), newAccount("1002", "IGAA-two")
	mustPut(t, s, a)
	mustPut(t, s, b)
	mustClose(t, s)

	s = postgres.OpenTest(t, url, postgres.TestKeyring(t, 2, 1))
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
	if want := map[string]int{postgres.TestKeyring(t, 2).PrimaryID(): 2}; err != nil || !cmp.Equal(usage, want) {
		t.Errorf("KeyUsage = %v, %v; want %v", usage, err, want)
	}
	mustClose(t, s)

	// Key 1 can now be dropped; with key 1 alone, Open refuses.
	s = postgres.OpenTest(t, url, postgres.TestKeyring(t, 2))
	got, err := s.Accounts(t.Context())
	if err != nil {
		t.Fatalf("Accounts with the new key only: %v", err)
	}
	if diff := cmp.Diff([]*igtoken.Account{a, b}, got); diff != "" {
		t.Errorf("accounts after re-encryption mismatch (-want +got):\n%s", diff)
	}
	if _, err := postgres.Open(t.Context(), url, postgres.TestKeyring(t, 1)); !errors.Is(err, igtoken.ErrWrongKey) {
		t.Errorf("Open with the old key only after rotation: error = %v, want ErrWrongKey", err)
	}
}

func TestStore_DatabaseHoldsNoTokenValue(t *testing.T) {
	t.Parallel()
	url := postgres.NewSchema(t)
	const token = "IGAAsecretTOKENvalue0123456789abcdefXYZ"
	s := postgres.OpenTest(t, url, postgres.TestKeyring(t, 1))
	a := newAccount("1001", token)
	a.Username = "visible_username"
	mustPut(t, s, a)
	if _, err := s.UpdateToken(t.Context(), a.ID, a.Token.Version, igtoken.Token{Value: token + "-2", Kind: igtoken.LongLived}, igtoken.Status{}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory(t.Context(), &igtoken.HistoryEntry{AccountID: a.ID, Trigger: igtoken.TriggerCLI,
		Outcome: igtoken.OutcomeRefreshed, Fingerprint: igtoken.Fingerprint(token)}); err != nil {
		t.Fatal(err)
	}

	// Every row of every table, as text and as the raw bytes of the
	// ciphertext column.
	conn := mustConnect(t, url)
	var all []byte
	for _, q := range []string{
		`SELECT t::text FROM accounts t`,
		`SELECT t::text FROM history t`,
		`SELECT t::text FROM key_check t`,
		`SELECT token_ciphertext FROM accounts`,
	} {
		rows, err := conn.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(all, []byte("visible_username")) {
		t.Fatal("the rows do not hold the username: the scan looks in the wrong place")
	}
	if bytes.Contains(all, []byte(token)) {
		t.Error("the database contains the token value")
	}
}

func TestMigrate_Concurrent(t *testing.T) {
	t.Parallel()
	// Replicas starting at once on an empty schema race to create it and
	// the key check; the advisory lock makes them take turns.
	url := postgres.NewSchema(t)
	keys := postgres.TestKeyring(t, 1)
	const n = 4
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), url, keys) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	// And Migrate itself, with nothing left to do.
	for i := range n {
		wg.Go(func() { errs[i] = stores[i].Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}

	if got := mustMigrations(t, url); len(got) != 1 || got[0] != "1 0001_init.sql" {
		t.Errorf("schema_migrations = %q, want each migration once", got)
	}
	var checks int
	if err := mustConnect(t, url).QueryRow(t.Context(), `SELECT count(*) FROM key_check`).Scan(&checks); err != nil || checks != 1 {
		t.Errorf("key_check has %d rows (%v), want 1", checks, err)
	}
}

func TestMigrate_Once(t *testing.T) {
	t.Parallel()
	url := postgres.NewSchema(t)
	keys := postgres.TestKeyring(t, 1)
	s := postgres.OpenTest(t, url, keys)
	mustPut(t, s, newAccount("1001", "IGAA-kept"))
	mustClose(t, s)
	before := mustMigrations(t, url)

	s = postgres.OpenTest(t, url, keys)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := s.Account(t.Context(), "1001"); err != nil {
		t.Errorf("Account after reopening: %v", err)
	}
	if diff := cmp.Diff(before, mustMigrations(t, url)); diff != "" {
		t.Errorf("schema_migrations changed by reopening (-before +after):\n%s", diff)
	}
}

func TestOpen_NoMigrate(t *testing.T) {
	t.Parallel()
	url := postgres.NewSchema(t)
	keys := postgres.TestKeyring(t, 1)

	_, err := postgres.Open(t.Context(), url, keys, postgres.NoMigrate())
	if err == nil || !strings.Contains(err.Error(), "igtoken migrate") {
		t.Fatalf("Open(NoMigrate) on an empty schema: error = %v, want one saying to run igtoken migrate", err)
	}
	if n := len(mustMigrations(t, url)); n != 0 {
		t.Errorf("Open(NoMigrate) applied %d migrations", n)
	}

	mustClose(t, postgres.OpenTest(t, url, keys))
	s := postgres.OpenTest(t, url, keys, postgres.NoMigrate())
	mustPut(t, s, newAccount("1001", "IGAA-x"))
	mustClose(t, s)

	// A newer schema, from a newer release rolling out: replicas that do
	// not migrate keep working; migrating refuses.
	mustExec(t, url, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', now())`)
	mustClose(t, postgres.OpenTest(t, url, keys, postgres.NoMigrate()))
	if _, err := postgres.Open(t.Context(), url, keys); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open on a newer schema: error = %v, want one saying the schema is newer", err)
	}
}

func TestOpen_Errors(t *testing.T) {
	t.Parallel()
	keys := postgres.TestKeyring(t, 1)
	url := postgres.NewSchema(t)
	tests := []struct {
		name string
		url  string
		keys *seal.Keyring
	}{
		{name: "NoKeys", url: url, keys: nil},
		{name: "BadURL", url: "postgres://user:s3cret-pw@host:notaport/db", keys: keys},
		{name: "Unreachable", url: "postgres://user:s3cret-pw@127.0.0.1:1/db?connect_timeout=2", keys: keys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := postgres.Open(t.Context(), tt.url, tt.keys)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.url)
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("Open error %q contains the password", err)
			}
		})
	}
}

func TestLease_SubMicrosecond(t *testing.T) {
	t.Parallel()
	// Times keep microseconds; a lease must still never end early.
	s := postgres.OpenTest(t, postgres.NewSchema(t), postgres.TestKeyring(t, 1))
	mustPut(t, s, newAccount("1001", "IGAA-x"))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.AcquireLease(t.Context(), "1001", "A", t0, t0.Add(500*time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
	err := s.AcquireLease(t.Context(), "1001", "B", t0.Add(400*time.Nanosecond), t0.Add(time.Minute))
	if !errors.Is(err, igtoken.ErrLeased) {
		t.Errorf("AcquireLease(B) before A's lease ends: error = %v, want ErrLeased", err)
	}
	if err := s.AcquireLease(t.Context(), "1001", "B", t0.Add(time.Microsecond), t0.Add(time.Minute)); err != nil {
		t.Errorf("AcquireLease(B) after A's lease ended: %v", err)
	}
	if err := s.AcquireLease(t.Context(), "404", "B", t0, t0.Add(time.Minute)); !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("AcquireLease(missing account) error = %v, want ErrNotFound", err)
	}
}

func TestAddHistory_UnknownAccount(t *testing.T) {
	t.Parallel()
	s := postgres.OpenTest(t, postgres.NewSchema(t), postgres.TestKeyring(t, 1))
	err := s.AddHistory(t.Context(), &igtoken.HistoryEntry{AccountID: "404", Trigger: igtoken.TriggerCLI, Outcome: igtoken.OutcomeFailed})
	if !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("AddHistory(unknown account) error = %v, want ErrNotFound", err)
	}
}

func TestStore_Now(t *testing.T) {
	t.Parallel()
	s := postgres.OpenTest(t, postgres.NewSchema(t), postgres.TestKeyring(t, 1))
	now := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	s.Now = func() time.Time { return now.Add(789 * time.Nanosecond) } // below PostgreSQL's precision
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
	if got := mustHistory(t, s, a.ID); len(got) != 1 || !got[0].At.Equal(h.At) {
		t.Errorf("History = %v, want one entry at %v", got, h.At)
	}

	// Later writes move UpdatedAt only.
	created := now
	for _, write := range []struct {
		name string
		do   func() error
	}{
		{"PutAccount", func() error {
			return s.PutAccount(t.Context(), newAccount("1001", "IGAA-y"), igtoken.AnyVersion)
		}},
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

func TestStore_VersionNotReused(t *testing.T) {
	t.Parallel()
	// A refresher that read the token of an account that is then deleted
	// and connected again must not overwrite the new login's token.
	s := postgres.OpenTest(t, postgres.NewSchema(t), postgres.TestKeyring(t, 1))
	old := newAccount("1001", "IGAA-before-removal")
	mustPut(t, s, old)
	if err := s.DeleteAccount(t.Context(), old.ID); err != nil {
		t.Fatal(err)
	}
	login := newAccount("1001", "IGAA-new-login")
	if err := s.PutAccount(t.Context(), login, 0); err != nil {
		t.Fatal(err)
	}
	if login.Token.Version == old.Token.Version {
		t.Fatalf("re-added account got version %d again", login.Token.Version)
	}
	_, err := s.UpdateToken(t.Context(), old.ID, old.Token.Version, igtoken.Token{Value: "IGAA-refresh-of-old"}, igtoken.Status{})
	if !errors.Is(err, igtoken.ErrConflict) {
		t.Errorf("UpdateToken(version before removal) error = %v, want ErrConflict", err)
	}
}

func TestStore_TextNotStorable(t *testing.T) {
	t.Parallel()
	// PostgreSQL text holds neither NUL nor invalid UTF-8; an error message
	// carrying them must not make the status or history write fail.
	s := postgres.OpenTest(t, postgres.NewSchema(t), postgres.TestKeyring(t, 1))
	a := newAccount("1001", "IGAA-x")
	mustPut(t, s, a)
	const bad, want = "read: a\x00b \xff end", "read: a\uFFFDb \uFFFD end"
	st := igtoken.Status{LastError: bad, ReconnectReason: bad}
	if err := s.UpdateStatus(t.Context(), a.ID, a.Token.Version, st); err != nil {
		t.Fatalf("UpdateStatus: %v", err)
	}
	got := mustAccount(t, s, a.ID).Status
	if got.LastError != want || got.ReconnectReason != want {
		t.Errorf("LastError, ReconnectReason = %q, %q; want %q", got.LastError, got.ReconnectReason, want)
	}
	if err := s.AddHistory(t.Context(), &igtoken.HistoryEntry{AccountID: a.ID, Trigger: igtoken.TriggerCLI,
		Outcome: igtoken.OutcomeFailed, Error: bad}); err != nil {
		t.Fatalf("AddHistory: %v", err)
	}
	if h := mustHistory(t, s, a.ID); len(h) != 1 || h[0].Error != want {
		t.Errorf("History = %+v, want one entry with Error %q", h, want)
	}
}

func TestStore_ByteOrder(t *testing.T) {
	t.Parallel()
	// Whatever the database's locale, strings sort as Go (and SQLite)
	// compare them.
	s := postgres.OpenTest(t, postgres.NewSchema(t), postgres.TestKeyring(t, 1))
	for _, u := range []struct{ id, username string }{
		{"b", "émile"}, {"B", "alice"}, {"a", "Zed"}, {"_", "alice"}, {"é", "bob"},
	} {
		a := newAccount(u.id, "IGAA-"+u.id)
		a.Username = u.username
		a.Status.NextRefreshAt = time.Time{} // all due, tied
		mustPut(t, s, a)
	}
	as, err := s.Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "B", "_", "é", "b"}, ids(as)); diff != "" {
		t.Errorf("Accounts order mismatch (-want +got):\n%s", diff)
	}
	as, err = s.ClaimDue(t.Context(), "me", time.Now(), time.Now().Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"B", "_", "a", "b", "é"}, ids(as)); diff != "" {
		t.Errorf("ClaimDue order mismatch (-want +got):\n%s", diff)
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

func ids(as []*igtoken.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func mustPut(tb testing.TB, s *postgres.Store, a *igtoken.Account) {
	tb.Helper()
	if err := s.PutAccount(tb.Context(), a, igtoken.AnyVersion); err != nil {
		tb.Fatalf("PutAccount(%s): %v", a.ID, err)
	}
}

func mustAccount(tb testing.TB, s *postgres.Store, id string) *igtoken.Account {
	tb.Helper()
	a, err := s.Account(tb.Context(), id)
	if err != nil {
		tb.Fatalf("Account(%s): %v", id, err)
	}
	return a
}

func mustHistory(tb testing.TB, s *postgres.Store, id string) []igtoken.HistoryEntry {
	tb.Helper()
	h, err := s.History(tb.Context(), id, 0)
	if err != nil {
		tb.Fatalf("History(%s): %v", id, err)
	}
	return h
}

func mustClose(tb testing.TB, s *postgres.Store) {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// mustConnect opens a plain connection to url, closed at the end of the
// test.
func mustConnect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(tb testing.TB, url, sql string) {
	tb.Helper()
	if _, err := mustConnect(tb, url).Exec(tb.Context(), sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// mustMigrations returns schema_migrations as "version name" lines, or
// none if the table does not exist.
func mustMigrations(tb testing.TB, url string) []string {
	tb.Helper()
	conn := mustConnect(tb, url)
	var exists bool
	if err := conn.QueryRow(tb.Context(), `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		tb.Fatal(err)
	}
	if !exists {
		return nil
	}
	rows, err := conn.Query(tb.Context(), `SELECT version || ' ' || name FROM schema_migrations ORDER BY version`)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
