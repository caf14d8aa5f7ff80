package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/igtoken/igtoken"
)

// Leases are stored as lease_owner and lease_until. A lease is live while
// now < lease_until. Times are whole seconds, so lease_until is rounded up
// and now down: a lease may outlive its until by under a second, never end
// before it.

// AcquireLease gives owner the account's lease until until, if nobody else
// holds a live lease at now; otherwise it returns an error wrapping
// igtoken.ErrLeased (or igtoken.ErrNotFound). Re-acquiring renews.
func (s *Store) AcquireLease(ctx context.Context, id, owner string, now, until time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET lease_owner = :owner, lease_until = :until
		WHERE id = :id AND (lease_owner IS NULL OR lease_owner = :owner OR lease_until <= :now)`,
		sql.Named("id", id), sql.Named("owner", owner),
		sql.Named("now", now.Unix()), sql.Named("until", toUnixCeil(until)))
	if err != nil {
		return fmt.Errorf("acquire lease on account %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("acquire lease on account %s: %w", id, err)
	}
	if n > 0 {
		return nil
	}
	var exists bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("acquire lease on account %s: %w", id, err)
	}
	if !exists {
		return fmt.Errorf("acquire lease on account %s: %w", id, igtoken.ErrNotFound)
	}
	return fmt.Errorf("acquire lease on account %s: %w", id, igtoken.ErrLeased)
}

// ReleaseLease ends owner's lease on the account. Releasing a lease one does
// not hold, or on an account that does not exist, does nothing.
func (s *Store) ReleaseLease(ctx context.Context, id, owner string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ?`, id, owner)
	if err != nil {
		return fmt.Errorf("release lease on account %s: %w", id, err)
	}
	return nil
}

// ClaimDue leases to owner, until until, up to limit accounts that do not
// need a reconnect, whose NextRefreshAt is zero or at or before now, and
// that nobody else holds a live lease on; and returns them, soonest
// NextRefreshAt first (zero first of all). A limit <= 0 claims nothing.
func (s *Store) ClaimDue(ctx context.Context, owner string, now, until time.Time, limit int) ([]*igtoken.Account, error) {
	if limit <= 0 {
		return nil, nil
	}
	// BEGIN IMMEDIATE (see connParams): the choice and the lease are one
	// atomic step, so two owners never claim the same account.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `UPDATE accounts SET lease_owner = :owner, lease_until = :until
		WHERE id IN (
			SELECT id FROM accounts
			WHERE needs_reconnect = 0
				AND (next_refresh_at IS NULL OR next_refresh_at <= :now)
				AND (lease_owner IS NULL OR lease_owner = :owner OR lease_until <= :now)
			ORDER BY next_refresh_at, id
			LIMIT :limit)
		RETURNING `+accountColumns,
		sql.Named("owner", owner), sql.Named("now", now.Unix()),
		sql.Named("until", toUnixCeil(until)), sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	as, err := s.scanAccounts(rows)
	if err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}

	// RETURNING has no defined order.
	slices.SortFunc(as, func(a, b *igtoken.Account) int {
		return cmp.Or(
			a.Status.NextRefreshAt.Compare(b.Status.NextRefreshAt),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return as, nil
}
