package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/igtoken/igtoken"
)

// AddHistory appends h and sets h.ID, and h.At if it is zero. The account
// must exist: otherwise the error wraps igtoken.ErrNotFound.
func (s *Store) AddHistory(ctx context.Context, h *igtoken.HistoryEntry) error {
	at := h.At.Unix()
	if h.At.IsZero() {
		at = s.now()
	}
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO history (account_id, at, "trigger", outcome,
			graph_code, graph_subcode, error, old_expires_at, new_expires_at, fingerprint)
		SELECT :account_id, :at, :trigger, :outcome,
			:graph_code, :graph_subcode, :error, :old_expires_at, :new_expires_at, :fingerprint
		WHERE EXISTS (SELECT 1 FROM accounts WHERE id = :account_id)
		RETURNING id`,
		sql.Named("account_id", h.AccountID),
		sql.Named("at", at),
		sql.Named("trigger", string(h.Trigger)),
		sql.Named("outcome", string(h.Outcome)),
		sql.Named("graph_code", int64(h.GraphCode)),
		sql.Named("graph_subcode", int64(h.GraphSubcode)),
		sql.Named("error", h.Error),
		sql.Named("old_expires_at", toUnix(h.OldExpiresAt)),
		sql.Named("new_expires_at", toUnix(h.NewExpiresAt)),
		sql.Named("fingerprint", h.Fingerprint),
	).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("add history of account %s: %w", h.AccountID, igtoken.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add history of account %s: %w", h.AccountID, err)
	}
	h.ID = id
	if h.At.IsZero() {
		h.At = time.Unix(at, 0).UTC()
	}
	return nil
}

// History returns up to limit entries, newest first, of the account id, or
// of every account if id is "". A limit <= 0 means no limit.
func (s *Store) History(ctx context.Context, id string, limit int) ([]igtoken.HistoryEntry, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	query := `SELECT id, account_id, at, "trigger", outcome, graph_code, graph_subcode, error,
		old_expires_at, new_expires_at, fingerprint FROM history`
	args := []any{sql.Named("limit", limit)}
	if id != "" {
		query += ` WHERE account_id = :account_id`
		args = append(args, sql.Named("account_id", id))
	}
	// Entries within one second keep their order by id.
	query += ` ORDER BY at DESC, id DESC LIMIT :limit`

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	var out []igtoken.HistoryEntry
	for rows.Next() {
		var (
			h                 igtoken.HistoryEntry
			at                int64
			trigger, outcome  string
			oldExpiry, newExp sql.NullInt64
		)
		if err := rows.Scan(&h.ID, &h.AccountID, &at, &trigger, &outcome, &h.GraphCode, &h.GraphSubcode,
			&h.Error, &oldExpiry, &newExp, &h.Fingerprint); err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		h.At = time.Unix(at, 0).UTC()
		h.Trigger = igtoken.Trigger(trigger)
		h.Outcome = igtoken.Outcome(outcome)
		h.OldExpiresAt = fromUnix(oldExpiry)
		h.NewExpiresAt = fromUnix(newExp)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return out, nil
}
