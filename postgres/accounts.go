package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/igtoken/igtoken"
)

// accountColumns are the columns scanAccount reads, in its order.
const accountColumns = `id, app_scoped_id, username,
	token_ciphertext, token_key_id, token_kind, token_issued_at, token_expires_at, token_version,
	needs_reconnect, reconnect_reason, last_error, last_refreshed_at, next_refresh_at, refresh_count, failures,
	created_at, updated_at`

// Every token write takes a new version; tokenArgs binds the parameters.
const setToken = `token_ciphertext = @token_ciphertext, token_key_id = @token_key_id, token_kind = @token_kind,
	token_issued_at = @token_issued_at, token_expires_at = @token_expires_at, token_version = nextval('token_version_seq')`

// setStatus writes an igtoken.Status; statusArgs binds the parameters.
const setStatus = `needs_reconnect = @needs_reconnect, reconnect_reason = @reconnect_reason, last_error = @last_error,
	last_refreshed_at = @last_refreshed_at, next_refresh_at = @next_refresh_at,
	refresh_count = @refresh_count, failures = @failures`

// insertAccount inserts an account; token_version takes its default, the
// next value of token_version_seq.
const insertAccount = `INSERT INTO accounts (id, app_scoped_id, username,
	token_ciphertext, token_key_id, token_kind, token_issued_at, token_expires_at,
	needs_reconnect, reconnect_reason, last_error, last_refreshed_at, next_refresh_at, refresh_count, failures,
	created_at, updated_at)
VALUES (@id, @app_scoped_id, @username,
	@token_ciphertext, @token_key_id, @token_kind, @token_issued_at, @token_expires_at,
	@needs_reconnect, @reconnect_reason, @last_error, @last_refreshed_at, @next_refresh_at, @refresh_count, @failures,
	@now, @now)`

// putReturning gives PutAccount what it fills into the account.
const putReturning = ` RETURNING token_version, created_at, updated_at`

var (
	// putAny inserts, or replaces whatever is stored (a new login wins). The
	// proposed row's token_version is a fresh value of the sequence.
	putAny = insertAccount + `
ON CONFLICT (id) DO UPDATE SET app_scoped_id = excluded.app_scoped_id, username = excluded.username,
	token_ciphertext = excluded.token_ciphertext, token_key_id = excluded.token_key_id, token_kind = excluded.token_kind,
	token_issued_at = excluded.token_issued_at, token_expires_at = excluded.token_expires_at,
	token_version = excluded.token_version,
	needs_reconnect = excluded.needs_reconnect, reconnect_reason = excluded.reconnect_reason,
	last_error = excluded.last_error, last_refreshed_at = excluded.last_refreshed_at,
	next_refresh_at = excluded.next_refresh_at, refresh_count = excluded.refresh_count,
	failures = excluded.failures, updated_at = excluded.updated_at` + putReturning
	// putNew inserts only if there is no such account.
	putNew = insertAccount + ` ON CONFLICT (id) DO NOTHING` + putReturning
	// putVersion replaces only the token of the expected version.
	putVersion = `UPDATE accounts SET app_scoped_id = @app_scoped_id, username = @username,
	` + setToken + `, ` + setStatus + `, updated_at = @now
WHERE id = @id AND token_version = @expect` + putReturning
)

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanAccount reads the accountColumns of one row and decrypts the token.
func (s *Store) scanAccount(sc scanner) (*igtoken.Account, error) {
	var (
		a                           igtoken.Account
		ciphertext                  []byte
		keyID, kind                 string
		issued, expires, last, next pgtype.Timestamptz
		created, updated            time.Time
	)
	if err := sc.Scan(&a.ID, &a.AppScopedID, &a.Username,
		&ciphertext, &keyID, &kind, &issued, &expires, &a.Token.Version,
		&a.Status.NeedsReconnect, &a.Status.ReconnectReason, &a.Status.LastError, &last, &next,
		&a.Status.RefreshCount, &a.Status.Failures,
		&created, &updated); err != nil {
		return nil, err
	}
	value, err := s.keys.Open(ciphertext, keyID)
	if err != nil {
		return nil, s.wrongKey("the token of account "+a.ID, keyID, err)
	}
	a.Token.Value = string(value)
	a.Token.Kind = igtoken.TokenKind(kind)
	a.Token.IssuedAt = fromTimestamp(issued)
	a.Token.ExpiresAt = fromTimestamp(expires)
	a.Status.LastRefreshedAt = fromTimestamp(last)
	a.Status.NextRefreshAt = fromTimestamp(next)
	a.CreatedAt = created.UTC()
	a.UpdatedAt = updated.UTC()
	return &a, nil
}

// scanAccounts reads and closes rows of accountColumns.
func (s *Store) scanAccounts(rows pgx.Rows) ([]*igtoken.Account, error) {
	defer rows.Close()
	var as []*igtoken.Account
	for rows.Next() {
		a, err := s.scanAccount(rows)
		if err != nil {
			return nil, err
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return as, nil
}

// tokenArgs seals tok and binds it into args for setToken and
// insertAccount.
func (s *Store) tokenArgs(args pgx.StrictNamedArgs, tok igtoken.Token) error {
	ciphertext, keyID, err := s.keys.Seal([]byte(tok.Value))
	if err != nil {
		return fmt.Errorf("encrypt token: %w", err)
	}
	args["token_ciphertext"] = ciphertext
	args["token_key_id"] = keyID
	args["token_kind"] = string(tok.Kind)
	args["token_issued_at"] = toTimestamp(tok.IssuedAt)
	args["token_expires_at"] = toTimestamp(tok.ExpiresAt)
	return nil
}

// statusArgs binds st into args for setStatus and insertAccount.
func statusArgs(args pgx.StrictNamedArgs, st igtoken.Status) {
	args["needs_reconnect"] = st.NeedsReconnect
	args["reconnect_reason"] = cleanText(st.ReconnectReason)
	args["last_error"] = cleanText(st.LastError)
	args["last_refreshed_at"] = toTimestamp(st.LastRefreshedAt)
	args["next_refresh_at"] = toTimestamp(st.NextRefreshAt)
	args["refresh_count"] = st.RefreshCount
	args["failures"] = st.Failures
}

// Account returns the account with the given id, or an error wrapping
// igtoken.ErrNotFound.
func (s *Store) Account(ctx context.Context, id string) (*igtoken.Account, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id)
	a, err := s.scanAccount(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("account %s: %w", id, igtoken.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", id, err)
	}
	return a, nil
}

// Accounts returns every account, ordered by username then id, in byte
// order.
func (s *Store) Accounts(ctx context.Context) ([]*igtoken.Account, error) {
	// Sorting here spares the database a sort that overflows work_mem (and
	// spills to disk) once there are some ten thousand accounts; the
	// decryption costs more anyway. Go's byte-wise string order is the
	// "C" collation of the id and username columns.
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	as, err := s.scanAccounts(rows)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	slices.SortFunc(as, func(a, b *igtoken.Account) int {
		return cmp.Or(strings.Compare(a.Username, b.Username), strings.Compare(a.ID, b.ID))
	})
	return as, nil
}

// PutAccount inserts a or replaces the stored account with the same ID,
// subject to expectVersion as igtoken.Store documents. On success it sets
// a.Token.Version, a.CreatedAt and a.UpdatedAt to the stored values.
func (s *Store) PutAccount(ctx context.Context, a *igtoken.Account, expectVersion int64) error {
	if a.ID == "" {
		return errors.New("put account: empty account id")
	}
	args := pgx.StrictNamedArgs{
		"id":            a.ID,
		"app_scoped_id": a.AppScopedID,
		"username":      a.Username,
		"now":           s.now(),
	}
	var query string
	switch {
	case expectVersion == igtoken.AnyVersion:
		query = putAny
	case expectVersion == 0:
		query = putNew
	case expectVersion > 0:
		query = putVersion
		args["expect"] = expectVersion
	default:
		return fmt.Errorf("put account %s: invalid expected version %d", a.ID, expectVersion)
	}
	if err := s.tokenArgs(args, a.Token); err != nil {
		return fmt.Errorf("put account %s: %w", a.ID, err)
	}
	statusArgs(args, a.Status)

	var version int64
	var created, updated time.Time
	err := s.pool.QueryRow(ctx, query, args).Scan(&version, &created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		if expectVersion == 0 {
			return fmt.Errorf("put account %s: it already exists: %w", a.ID, igtoken.ErrConflict)
		}
		return fmt.Errorf("put account %s: stored token is not version %d: %w", a.ID, expectVersion, igtoken.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("put account %s: %w", a.ID, err)
	}
	a.Token.Version = version
	a.CreatedAt = created.UTC()
	a.UpdatedAt = updated.UTC()
	return nil
}

// UpdateToken writes tok and st if the stored token still has version prev,
// and returns the new version; otherwise an error wrapping
// igtoken.ErrConflict or igtoken.ErrNotFound.
func (s *Store) UpdateToken(ctx context.Context, id string, prev int64, tok igtoken.Token, st igtoken.Status) (int64, error) {
	args := pgx.StrictNamedArgs{"id": id, "prev": prev, "now": s.now()}
	if err := s.tokenArgs(args, tok); err != nil {
		return 0, fmt.Errorf("update token of account %s: %w", id, err)
	}
	statusArgs(args, st)

	// Under READ COMMITTED a concurrent writer's UPDATE waits for the row
	// lock, then checks token_version again on the row as committed: of
	// writers holding the same prev, one wins.
	var version int64
	err := s.pool.QueryRow(ctx, `UPDATE accounts SET `+setToken+`, `+setStatus+`, updated_at = @now
		WHERE id = @id AND token_version = @prev RETURNING token_version`, args).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, s.casFailure(ctx, "update token", id, prev)
	}
	if err != nil {
		return 0, fmt.Errorf("update token of account %s: %w", id, err)
	}
	return version, nil
}

// UpdateStatus writes st if the stored token still has version
// tokenVersion; otherwise it returns an error wrapping igtoken.ErrConflict
// or igtoken.ErrNotFound. It does not change the token version.
func (s *Store) UpdateStatus(ctx context.Context, id string, tokenVersion int64, st igtoken.Status) error {
	args := pgx.StrictNamedArgs{"id": id, "version": tokenVersion, "now": s.now()}
	statusArgs(args, st)
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET `+setStatus+`, updated_at = @now
		WHERE id = @id AND token_version = @version`, args)
	if err != nil {
		return fmt.Errorf("update status of account %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.casFailure(ctx, "update status", id, tokenVersion)
	}
	return nil
}

// casFailure explains why a write conditional on the token version changed
// no row: the account is gone, or its token has another version.
func (s *Store) casFailure(ctx context.Context, op, id string, version int64) error {
	exists, err := s.exists(ctx, id)
	switch {
	case err != nil:
		return fmt.Errorf("%s of account %s: %w", op, id, err)
	case !exists:
		return fmt.Errorf("%s of account %s: %w", op, id, igtoken.ErrNotFound)
	default:
		return fmt.Errorf("%s of account %s: stored token is no longer version %d: %w", op, id, version, igtoken.ErrConflict)
	}
}

// exists reports whether the account id exists.
func (s *Store) exists(ctx context.Context, id string) (bool, error) {
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, id).Scan(&exists)
	return exists, err
}

// DeleteAccount removes the account, its token and its history, or returns
// an error wrapping igtoken.ErrNotFound.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	// The history goes with it: ON DELETE CASCADE.
	tag, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete account %s: %w", id, igtoken.ErrNotFound)
	}
	return nil
}
