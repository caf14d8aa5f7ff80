package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Reencrypt seals every token that is not sealed with the keyring's primary
// key again with it, then the key check value; it returns how many tokens
// it re-sealed. Afterwards the older keys can be dropped from the keyring.
// Token versions do not change: the tokens are the same.
//
// It works in batches of a few hundred tokens, one transaction each, so
// that it never holds many rows at once and a refresh running meanwhile
// waits a few milliseconds at most. Each batch locks its rows (FOR UPDATE
// SKIP LOCKED: rows being written are passed over, and a second sweep,
// which waits for them, comes back to them), and writes only if the token
// version is still the one it read, so a concurrent token write is never
// undone. Interrupted, it keeps what it did; running it again resumes.
//
// Every process writing tokens must have the new primary key before the
// rotation: a process still sealing with the old key would write tokens
// that need it again.
func (s *Store) Reencrypt(ctx context.Context) (int, error) {
	total := 0
	// The first sweep passes over locked rows; the second waits for them.
	for _, skipLocked := range []bool{true, false} {
		after := ""
		for {
			n, last, done, err := s.reencryptBatch(ctx, after, skipLocked)
			total += n
			if err != nil {
				return total, fmt.Errorf("re-encrypt tokens (%d re-encrypted): %w", total, err)
			}
			if done {
				break
			}
			after = last
		}
	}
	if err := s.putKeyCheck(ctx, s.pool, true); err != nil {
		return total, fmt.Errorf("re-encrypt tokens: %w", err)
	}
	return total, nil
}

// sealedToken is a token as Reencrypt reads it.
type sealedToken struct {
	id, keyID  string
	ciphertext []byte
	version    int64
}

// reencryptBatch re-seals, in one transaction, the next batch of tokens not
// sealed with the primary key, in id order after the id after. It returns
// how many it re-sealed, the last id it looked at, and whether it reached
// the end.
func (s *Store) reencryptBatch(ctx context.Context, after string, skipLocked bool) (n int, last string, done bool, err error) {
	lock := `FOR UPDATE`
	if skipLocked {
		lock += ` SKIP LOCKED`
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, "", false, err
	}
	defer tx.Rollback(ctx)

	primary := s.keys.PrimaryID()
	rows, err := tx.Query(ctx, `SELECT id, token_key_id, token_ciphertext, token_version FROM accounts
		WHERE id > @after AND token_key_id <> @primary
		ORDER BY id LIMIT @limit `+lock,
		pgx.StrictNamedArgs{"after": after, "primary": primary, "limit": s.batchSize})
	if err != nil {
		return 0, "", false, err
	}
	var old []sealedToken
	for rows.Next() {
		var t sealedToken
		if err := rows.Scan(&t.id, &t.keyID, &t.ciphertext, &t.version); err != nil {
			rows.Close()
			return 0, "", false, err
		}
		old = append(old, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, "", false, err
	}
	if len(old) == 0 {
		return 0, "", true, nil
	}

	ids := make([]string, len(old))
	ciphertexts := make([][]byte, len(old))
	versions := make([]int64, len(old))
	for i, t := range old {
		value, err := s.keys.Open(t.ciphertext, t.keyID)
		if err != nil {
			return 0, "", false, s.wrongKey("the token of account "+t.id, t.keyID, err)
		}
		ciphertext, _, err := s.keys.Seal(value) // with the primary key
		if err != nil {
			return 0, "", false, fmt.Errorf("re-encrypt token of account %s: %w", t.id, err)
		}
		ids[i], ciphertexts[i], versions[i] = t.id, ciphertext, t.version
	}
	// One statement for the batch. The version check cannot fail while the
	// rows are locked; it keeps the write correct should the locking ever
	// change.
	tag, err := tx.Exec(ctx, `UPDATE accounts a SET token_ciphertext = u.ciphertext, token_key_id = @key_id
		FROM unnest(@ids::text[], @ciphertexts::bytea[], @versions::bigint[]) AS u (id, ciphertext, version)
		WHERE a.id = u.id AND a.token_version = u.version`,
		pgx.StrictNamedArgs{"key_id": primary, "ids": ids, "ciphertexts": ciphertexts, "versions": versions})
	if err != nil {
		return 0, "", false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, "", false, err
	}
	return int(tag.RowsAffected()), old[len(old)-1].id, len(old) < s.batchSize, nil
}

// KeyUsage returns how many stored tokens are sealed with each key id.
func (s *Store) KeyUsage(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT token_key_id, count(*) FROM accounts GROUP BY token_key_id`)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count tokens by key: %w", err)
	}
	return usage, nil
}
