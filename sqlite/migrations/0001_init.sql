-- Times are INTEGER Unix seconds, UTC; NULL means the zero time.
-- Token values are sealed (AES-256-GCM) by package seal; token_key_id names
-- the key that sealed them.

CREATE TABLE accounts (
	id                TEXT    PRIMARY KEY,    -- Instagram account id
	app_scoped_id     TEXT    NOT NULL DEFAULT '',
	username          TEXT    NOT NULL DEFAULT '',
	token_ciphertext  BLOB    NOT NULL,
	token_key_id      TEXT    NOT NULL,
	token_kind        TEXT    NOT NULL,
	token_issued_at   INTEGER,
	token_expires_at  INTEGER,
	token_version     INTEGER NOT NULL,
	needs_reconnect   INTEGER NOT NULL DEFAULT 0 CHECK (needs_reconnect IN (0, 1)),
	reconnect_reason  TEXT    NOT NULL DEFAULT '',
	last_error        TEXT    NOT NULL DEFAULT '',
	last_refreshed_at INTEGER,
	next_refresh_at   INTEGER,
	refresh_count     INTEGER NOT NULL DEFAULT 0,
	failures          INTEGER NOT NULL DEFAULT 0,
	lease_owner       TEXT,
	lease_until       INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
) STRICT;

-- ClaimDue walks this index in order (NULLs first) and stops at its limit.
CREATE INDEX accounts_next_refresh_at ON accounts (next_refresh_at);

CREATE TABLE history (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id     TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	at             INTEGER NOT NULL,
	"trigger"      TEXT    NOT NULL,
	outcome        TEXT    NOT NULL,
	graph_code     INTEGER NOT NULL DEFAULT 0,
	graph_subcode  INTEGER NOT NULL DEFAULT 0,
	error          TEXT    NOT NULL DEFAULT '',
	old_expires_at INTEGER,
	new_expires_at INTEGER,
	fingerprint    TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX history_account ON history (account_id, at, id);
CREATE INDEX history_at ON history (at, id);

-- key_check holds one known plaintext sealed with the key that was primary
-- when the database was created (or last re-encrypted), so that Open can
-- tell at once whether the configured keys can read the tokens.
CREATE TABLE key_check (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	key_id     TEXT    NOT NULL,
	ciphertext BLOB    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
