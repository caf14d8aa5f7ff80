package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/igtoken/igtoken"
)

// accountColumns are the columns scanAccount reads, in its order.
const accountColumns = `id, app_scoped_id, username,
	token_ciphertext, token_key_id, token_kind, token_issued_at, token_expires_at, token_version,
	needs_reconnect, reconnect_reason, last_error, last_refreshed_at, next_refresh_at, refresh_count, failures,
	created_at, updated_at`

// Every token write bumps the version; tokenArgs binds the parameters.
const setToken = `token_ciphertext = :token_ciphertext, token_key_id = :token_key_id, token_kind = :token_kind,
	token_issued_at = :token_issued_at, token_expires_at = :token_expires_at, token_version = token_version + 1`

// setStatus writes an igtoken.Status; statusArgs binds the parameters.
const setStatus = `needs_reconnect = :needs_reconnect, reconnect_reason = :reconnect_reason, last_error = :last_error,
	last_refreshed_at = :last_refreshed_at, next_refresh_at = :next_refresh_at,
	refresh_count = :refresh_count, failures = :failures`

const insertAccount = `INSERT INTO accounts (id, app_scoped_id, username,
	token_ciphertext, token_key_id, token_kind, token_issued_at, token_expires_at, token_version,
	needs_reconnect, reconnect_reason, last_error, last_refreshed_at, next_refresh_at, refresh_count, failures,
	created_at, updated_at)
VALUES (:id, :app_scoped_id, :username,
	:token_ciphertext, :token_key_id, :token_kind, :token_issued_at, :token_expires_at,
	(SELECT last + 1 FROM token_version_floor WHERE id = 1),
	:needs_reconnect, :reconnect_reason, :last_error, :last_refreshed_at, :next_refresh_at, :refresh_count, :failures,
	:now, :now)`

// putReturning gives PutAccount what it fills into the account.
const putReturning = ` RETURNING token_version, created_at, updated_at`

var (
	// putAny inserts, or replaces whatever is stored (a new login wins).
	putAny = insertAccount + `
ON CONFLICT (id) DO UPDATE SET app_scoped_id = :app_scoped_id, username = :username,
	` + setToken + `, ` + setStatus + `, updated_at = :now` + putReturning
	// putNew inserts only if there is no such account.
	putNew = insertAccount + ` ON CONFLICT (id) DO NOTHING` + putReturning
	// putVersion replaces only the token of the expected version.
	putVersion = `UPDATE accounts SET app_scoped_id = :app_scoped_id, username = :username,
	` + setToken + `, ` + setStatus + `, updated_at = :now
WHERE id = :id AND token_version = :expect` + putReturning
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanAccount reads the accountColumns of one row and decrypts the token.
func (s *Store) scanAccount(sc scanner) (*igtoken.Account, error) {
	var (
		a                               igtoken.Account
		ciphertext                      []byte
		keyID, kind                     string
		issued, expires, last, next     sql.NullInt64
		needsReconnect, created, update int64
	)
	if err := sc.Scan(&a.ID, &a.AppScopedID, &a.Username,
		&ciphertext, &keyID, &kind, &issued, &expires, &a.Token.Version,
		&needsReconnect, &a.Status.ReconnectReason, &a.Status.LastError, &last, &next,
		&a.Status.RefreshCount, &a.Status.Failures,
		&created, &update); err != nil {
		return nil, err
	}
	value, err := s.keys.Open(ciphertext, keyID)
	if err != nil {
		return nil, s.wrongKey("the token of account "+a.ID, keyID, err)
	}
	a.Token.Value = string(value)
	a.Token.Kind = igtoken.TokenKind(kind)
	a.Token.IssuedAt = fromUnix(issued)
	a.Token.ExpiresAt = fromUnix(expires)
	a.Status.NeedsReconnect = needsReconnect != 0
	a.Status.LastRefreshedAt = fromUnix(last)
	a.Status.NextRefreshAt = fromUnix(next)
	a.CreatedAt = fromUnix(sql.NullInt64{Int64: created, Valid: true})
	a.UpdatedAt = fromUnix(sql.NullInt64{Int64: update, Valid: true})
	return &a, nil
}

// tokenArgs seals tok and binds it for setToken and insertAccount.
func (s *Store) tokenArgs(tok igtoken.Token) ([]any, error) {
	ciphertext, keyID, err := s.keys.Seal([]byte(tok.Value))
	if err != nil {
		return nil, fmt.Errorf("encrypt token: %w", err)
	}
	return []any{
		sql.Named("token_ciphertext", ciphertext),
		sql.Named("token_key_id", keyID),
		sql.Named("token_kind", string(tok.Kind)),
		sql.Named("token_issued_at", toUnix(tok.IssuedAt)),
		sql.Named("token_expires_at", toUnix(tok.ExpiresAt)),
	}, nil
}

// statusArgs binds st for setStatus and insertAccount.
func statusArgs(st igtoken.Status) []any {
	return []any{
		sql.Named("needs_reconnect", boolInt(st.NeedsReconnect)),
		sql.Named("reconnect_reason", st.ReconnectReason),
		sql.Named("last_error", st.LastError),
		sql.Named("last_refreshed_at", toUnix(st.LastRefreshedAt)),
		sql.Named("next_refresh_at", toUnix(st.NextRefreshAt)),
		sql.Named("refresh_count", int64(st.RefreshCount)),
		sql.Named("failures", int64(st.Failures)),
	}
}

// Account returns the account with the given id, or an error wrapping
// igtoken.ErrNotFound.
func (s *Store) Account(ctx context.Context, id string) (*igtoken.Account, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id)
	a, err := s.scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account %s: %w", id, igtoken.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", id, err)
	}
	return a, nil
}

// Accounts returns every account, ordered by username then id.
func (s *Store) Accounts(ctx context.Context) ([]*igtoken.Account, error) {
	// A table scan sorted here is about twice as fast as walking an index on
	// (username, id), which costs a table lookup per row. Go's byte-wise
	// string order is SQLite's BINARY collation.
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts`)
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

// scanAccounts reads and closes rows of accountColumns.
func (s *Store) scanAccounts(rows *sql.Rows) ([]*igtoken.Account, error) {
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
	return as, rows.Close()
}

// PutAccount inserts a or replaces the stored account with the same ID,
// subject to expectVersion as igtoken.Store documents. On success it sets
// a.Token.Version, a.CreatedAt and a.UpdatedAt to the stored values.
func (s *Store) PutAccount(ctx context.Context, a *igtoken.Account, expectVersion int64) error {
	if a.ID == "" {
		return errors.New("put account: empty account id")
	}
	var query string
	switch {
	case expectVersion == igtoken.AnyVersion:
		query = putAny
	case expectVersion == 0:
		query = putNew
	case expectVersion > 0:
		query = putVersion
	default:
		return fmt.Errorf("put account %s: invalid expected version %d", a.ID, expectVersion)
	}
	tokArgs, err := s.tokenArgs(a.Token)
	if err != nil {
		return fmt.Errorf("put account %s: %w", a.ID, err)
	}
	args := append(tokArgs, statusArgs(a.Status)...)
	args = append(args,
		sql.Named("id", a.ID),
		sql.Named("app_scoped_id", a.AppScopedID),
		sql.Named("username", a.Username),
		sql.Named("now", s.now()),
	)
	if query == putVersion {
		args = append(args, sql.Named("expect", expectVersion))
	}

	var version, created, updated int64
	err = s.db.QueryRowContext(ctx, query, args...).Scan(&version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		if expectVersion == 0 {
			return fmt.Errorf("put account %s: it already exists: %w", a.ID, igtoken.ErrConflict)
		}
		return fmt.Errorf("put account %s: stored token is not version %d: %w", a.ID, expectVersion, igtoken.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("put account %s: %w", a.ID, err)
	}
	a.Token.Version = version
	a.CreatedAt = fromUnix(sql.NullInt64{Int64: created, Valid: true})
	a.UpdatedAt = fromUnix(sql.NullInt64{Int64: updated, Valid: true})
	return nil
}

// UpdateToken writes tok and st if the stored token still has version prev,
// and returns the new version; otherwise an error wrapping
// igtoken.ErrConflict or igtoken.ErrNotFound.
func (s *Store) UpdateToken(ctx context.Context, id string, prev int64, tok igtoken.Token, st igtoken.Status) (int64, error) {
	args, err := s.tokenArgs(tok)
	if err != nil {
		return 0, fmt.Errorf("update token of account %s: %w", id, err)
	}
	args = append(args, statusArgs(st)...)
	args = append(args, sql.Named("id", id), sql.Named("prev", prev), sql.Named("now", s.now()))

	var version int64
	err = s.db.QueryRowContext(ctx, `UPDATE accounts SET `+setToken+`, `+setStatus+`, updated_at = :now
		WHERE id = :id AND token_version = :prev RETURNING token_version`, args...).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
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
	args := append(statusArgs(st), sql.Named("id", id), sql.Named("version", tokenVersion), sql.Named("now", s.now()))
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET `+setStatus+`, updated_at = :now
		WHERE id = :id AND token_version = :version`, args...)
	if err != nil {
		return fmt.Errorf("update status of account %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update status of account %s: %w", id, err)
	}
	if n == 0 {
		return s.casFailure(ctx, "update status", id, tokenVersion)
	}
	return nil
}

// casFailure explains why a write conditional on the token version changed
// no row: the account is gone, or its token has another version.
func (s *Store) casFailure(ctx context.Context, op, id string, version int64) error {
	var exists bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?)`, id).Scan(&exists)
	switch {
	case err != nil:
		return fmt.Errorf("%s of account %s: %w", op, id, err)
	case !exists:
		return fmt.Errorf("%s of account %s: %w", op, id, igtoken.ErrNotFound)
	default:
		return fmt.Errorf("%s of account %s: stored token is no longer version %d: %w", op, id, version, igtoken.ErrConflict)
	}
}

// DeleteAccount removes the account, its token and its history, or returns
// an error wrapping igtoken.ErrNotFound.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	// The history goes with it: ON DELETE CASCADE, foreign_keys is on.
	res, err := s.db.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete account %s: %w", id, igtoken.ErrNotFound)
	}
	return nil
}
