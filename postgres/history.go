package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/igtoken/igtoken"
)

// AddHistory appends h and sets h.ID, and h.At if it is zero. The account
// must exist: otherwise the error wraps igtoken.ErrNotFound.
func (s *Store) AddHistory(ctx context.Context, h *igtoken.HistoryEntry) error {
	at := h.At
	if at.IsZero() {
		at = s.now()
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO history (account_id, at, "trigger", outcome,
			graph_code, graph_subcode, error, old_expires_at, new_expires_at, fingerprint)
		VALUES (@account_id, @at, @trigger, @outcome,
			@graph_code, @graph_subcode, @error, @old_expires_at, @new_expires_at, @fingerprint)
		RETURNING id`,
		pgx.StrictNamedArgs{
			"account_id":     h.AccountID,
			"at":             at,
			"trigger":        string(h.Trigger),
			"outcome":        string(h.Outcome),
			"graph_code":     h.GraphCode,
			"graph_subcode":  h.GraphSubcode,
			"error":          cleanText(h.Error),
			"old_expires_at": toTimestamp(h.OldExpiresAt),
			"new_expires_at": toTimestamp(h.NewExpiresAt),
			"fingerprint":    h.Fingerprint,
		}).Scan(&id)
	// The foreign key refuses an entry for an account that does not exist,
	// even one deleted while the entry was being added.
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == codeForeignKeyViolation {
		return fmt.Errorf("add history of account %s: %w", h.AccountID, igtoken.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add history of account %s: %w", h.AccountID, err)
	}
	h.ID = id
	if h.At.IsZero() {
		h.At = at
	}
	return nil
}

// History returns up to limit entries, newest first, of the account id, or
// of every account if id is "". A limit <= 0 means no limit.
func (s *Store) History(ctx context.Context, id string, limit int) ([]igtoken.HistoryEntry, error) {
	args := pgx.StrictNamedArgs{"limit": nil} // LIMIT NULL: no limit
	if limit > 0 {
		args["limit"] = int64(limit)
	}
	query := `SELECT id, account_id, at, "trigger", outcome, graph_code, graph_subcode, error,
		old_expires_at, new_expires_at, fingerprint FROM history`
	if id != "" {
		query += ` WHERE account_id = @account_id`
		args["account_id"] = id
	}
	// Entries of the same time keep their order by id.
	query += ` ORDER BY at DESC, id DESC LIMIT @limit`

	rows, err := s.pool.Query(ctx, query, args)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	var out []igtoken.HistoryEntry
	for rows.Next() {
		var (
			h                 igtoken.HistoryEntry
			at                pgtype.Timestamptz
			trigger, outcome  string
			oldExpiry, newExp pgtype.Timestamptz
		)
		if err := rows.Scan(&h.ID, &h.AccountID, &at, &trigger, &outcome, &h.GraphCode, &h.GraphSubcode,
			&h.Error, &oldExpiry, &newExp, &h.Fingerprint); err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		h.At = fromTimestamp(at)
		h.Trigger = igtoken.Trigger(trigger)
		h.Outcome = igtoken.Outcome(outcome)
		h.OldExpiresAt = fromTimestamp(oldExpiry)
		h.NewExpiresAt = fromTimestamp(newExp)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return out, nil
}
