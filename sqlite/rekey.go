package sqlite

import (
	"context"
	"fmt"
)

// Reencrypt seals every token that is not sealed with the keyring's primary
// key again with it, and the key check value too, in one transaction; it
// returns how many tokens it re-sealed. Afterwards the older keys can be
// dropped from the keyring. Token versions do not change: the tokens are
// the same.
func (s *Store) Reencrypt(ctx context.Context) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("re-encrypt tokens: %w", err)
	}
	defer tx.Rollback()

	primary := s.keys.PrimaryID()
	type sealed struct {
		id, keyID  string
		ciphertext []byte
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, token_key_id, token_ciphertext FROM accounts WHERE token_key_id <> ?`, primary)
	if err != nil {
		return 0, fmt.Errorf("re-encrypt tokens: %w", err)
	}
	var old []sealed
	for rows.Next() {
		var t sealed
		if err := rows.Scan(&t.id, &t.keyID, &t.ciphertext); err != nil {
			rows.Close()
			return 0, fmt.Errorf("re-encrypt tokens: %w", err)
		}
		old = append(old, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("re-encrypt tokens: %w", err)
	}

	for _, t := range old {
		value, err := s.keys.Open(t.ciphertext, t.keyID)
		if err != nil {
			return 0, fmt.Errorf("re-encrypt tokens: %w", s.wrongKey("the token of account "+t.id, t.keyID, err))
		}
		ciphertext, keyID, err := s.keys.Seal(value)
		if err != nil {
			return 0, fmt.Errorf("re-encrypt token of account %s: %w", t.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET token_ciphertext = ?, token_key_id = ? WHERE id = ?`,
			ciphertext, keyID, t.id); err != nil {
			return 0, fmt.Errorf("re-encrypt token of account %s: %w", t.id, err)
		}
	}
	if err := s.putKeyCheck(ctx, tx); err != nil {
		return 0, fmt.Errorf("re-encrypt tokens: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("re-encrypt tokens: %w", err)
	}
	return len(old), nil
}

// KeyUsage returns how many stored tokens are sealed with each key id.
func (s *Store) KeyUsage(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT token_key_id, count(*) FROM accounts GROUP BY token_key_id`)
	if err != nil {
		return nil, fmt.Errorf("count tokens by key: %w", err)
	}
	defer rows.Close()
	usage := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count tokens by key: %w", err)
		}
		usage[id] = n
	}
	return usage, rows.Err()
}
