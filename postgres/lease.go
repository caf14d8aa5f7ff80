package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/igtoken/igtoken"
)

// Leases are stored as lease_owner and lease_until. A lease is live while
// now < lease_until. Times keep microseconds, so lease_until is rounded up
// and now down: a lease may outlive its until by under a microsecond, never
// end before it.

// AcquireLease gives owner the account's lease until until, if nobody else
// holds a live lease at now; otherwise it returns an error wrapping
// igtoken.ErrLeased (or igtoken.ErrNotFound). Re-acquiring renews.
func (s *Store) AcquireLease(ctx context.Context, id, owner string, now, until time.Time) error {
	// A concurrent acquirer waits for the row lock, then checks the lease
	// again on the row as committed: one of them wins.
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET lease_owner = @owner, lease_until = @until
		WHERE id = @id AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until <= @now)`,
		pgx.StrictNamedArgs{"id": id, "owner": owner, "now": now, "until": ceilMicro(until)})
	if err != nil {
		return fmt.Errorf("acquire lease on account %s: %w", id, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	exists, err := s.exists(ctx, id)
	if err != nil {
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
	_, err := s.pool.Exec(ctx, `UPDATE accounts SET lease_owner = NULL, lease_until = NULL
		WHERE id = $1 AND lease_owner = $2`, id, owner)
	if err != nil {
		return fmt.Errorf("release lease on account %s: %w", id, err)
	}
	return nil
}

// claimDue chooses and leases the due accounts in one statement. The
// choice locks its rows FOR UPDATE SKIP LOCKED, so concurrent claimers
// never wait for each other and never take the same account: each passes
// over the rows another is claiming, and a row it locks after another
// claimer's commit is checked again as committed (then leased, so no longer
// free). A zero next_refresh_at (NULL) counts as -infinity, the soonest;
// the expression matches the index accounts_due, so that "due" is an index
// condition and the scan stops at the first account not due.
const claimDue = `WITH due AS (
	SELECT id AS due_id FROM accounts
	WHERE NOT needs_reconnect
		AND coalesce(next_refresh_at, '-infinity') <= @now
		AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until <= @now)
	ORDER BY coalesce(next_refresh_at, '-infinity'), id
	LIMIT @limit
	FOR UPDATE SKIP LOCKED
), claimed AS (
	UPDATE accounts SET lease_owner = @owner, lease_until = @until
	FROM due WHERE id = due_id
	RETURNING ` + accountColumns + `
)
SELECT ` + accountColumns + ` FROM claimed
ORDER BY coalesce(next_refresh_at, '-infinity'), id`

// ClaimDue leases to owner, until until, up to limit accounts that do not
// need a reconnect, whose NextRefreshAt is zero or at or before now, and
// that nobody else holds a live lease on; and returns them, soonest
// NextRefreshAt first (zero first of all), then by id. A limit <= 0 claims
// nothing.
//
// If a claimed token cannot be decrypted, no lease is taken and the error
// wraps igtoken.ErrWrongKey.
func (s *Store) ClaimDue(ctx context.Context, owner string, now, until time.Time, limit int) ([]*igtoken.Account, error) {
	if limit <= 0 {
		return nil, nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, claimDue, pgx.StrictNamedArgs{
		"owner": owner, "now": now, "until": ceilMicro(until), "limit": int64(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	as, err := s.scanAccounts(rows)
	if err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("claim due accounts: %w", err)
	}
	return as, nil
}
