package igtoken

import (
	"context"
	"time"
)

// AnyVersion, passed to Store.PutAccount, replaces whatever token is stored.
const AnyVersion int64 = -1

// Store persists accounts, their encrypted tokens and the refresh history.
// It holds no business rules: the Manager decides, the Store records.
// sqlite.Store and postgres.Store implement it; storetest.Run checks both.
//
// Token values are encrypted by the Store before they reach the database and
// decrypted when read; a value that cannot be decrypted is reported as an
// error wrapping ErrWrongKey. Every method is safe for concurrent use.
type Store interface {
	// Account returns the account with the given Instagram id, or an error
	// wrapping ErrNotFound.
	Account(ctx context.Context, id string) (*Account, error)
	// Accounts returns every account, ordered by username then id.
	Accounts(ctx context.Context) ([]*Account, error)

	// PutAccount inserts a, or replaces the stored account with the same ID:
	// identity, token and status. With expectVersion AnyVersion it always
	// writes (a new login wins); with 0 it writes only if no such account
	// exists; otherwise only if the stored token has that version. A failed
	// check returns ErrConflict. On success a.Token.Version is set to the
	// new version, and CreatedAt/UpdatedAt are filled in.
	PutAccount(ctx context.Context, a *Account, expectVersion int64) error
	// UpdateToken writes tok and st if the stored token still has version
	// prev, and returns the new version; otherwise ErrConflict (or
	// ErrNotFound). It is the only way a refresh changes a token.
	UpdateToken(ctx context.Context, id string, prev int64, tok Token, st Status) (int64, error)
	// UpdateStatus writes st if the stored token still has version
	// tokenVersion, so that the outcome of an attempt on an old token never
	// lands on a newer one; otherwise ErrConflict (or ErrNotFound).
	UpdateStatus(ctx context.Context, id string, tokenVersion int64, st Status) error
	// DeleteAccount removes the account, its token and its history, or
	// returns ErrNotFound.
	DeleteAccount(ctx context.Context, id string) error

	// AddHistory appends an entry; ID and, if zero, At are filled in.
	AddHistory(ctx context.Context, h *HistoryEntry) error
	// History returns up to limit entries, newest first; id "" means every
	// account; limit <= 0 means no limit.
	History(ctx context.Context, id string, limit int) ([]HistoryEntry, error)

	// AcquireLease gives owner the account's refresh lease until until, if
	// nobody else holds an unexpired lease at now; otherwise ErrLeased.
	// Re-acquiring one's own lease renews it.
	AcquireLease(ctx context.Context, id, owner string, now, until time.Time) error
	// ReleaseLease ends owner's lease; releasing a lease one does not hold
	// is not an error.
	ReleaseLease(ctx context.Context, id, owner string) error
	// ClaimDue leases to owner, until until, up to limit accounts that do
	// not need a reconnect, whose NextRefreshAt is at or before now and
	// that nobody else holds a live lease on; and returns them, soonest
	// NextRefreshAt first.
	ClaimDue(ctx context.Context, owner string, now, until time.Time, limit int) ([]*Account, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}
