-- Times are timestamptz; NULL means the zero time.
-- Token values are sealed (AES-256-GCM) by package seal; token_key_id names
-- the key that sealed them.
-- id and username sort in the "C" collation: byte order, as Go and SQLite
-- compare strings, whatever the database's locale.

-- Every token write takes its version from this sequence, so a version is
-- never used twice, not even after an account is deleted and added again.
CREATE SEQUENCE token_version_seq;

CREATE TABLE accounts (
	id                text COLLATE "C" PRIMARY KEY,    -- Instagram account id
	app_scoped_id     text        NOT NULL DEFAULT '',
	username          text COLLATE "C" NOT NULL DEFAULT '',
	token_ciphertext  bytea       NOT NULL,
	token_key_id      text        NOT NULL,
	token_kind        text        NOT NULL,
	token_issued_at   timestamptz,
	token_expires_at  timestamptz,
	token_version     bigint      NOT NULL DEFAULT nextval('token_version_seq'),
	needs_reconnect   boolean     NOT NULL DEFAULT false,
	reconnect_reason  text        NOT NULL DEFAULT '',
	last_error        text        NOT NULL DEFAULT '',
	last_refreshed_at timestamptz,
	next_refresh_at   timestamptz,
	refresh_count     integer     NOT NULL DEFAULT 0,
	failures          integer     NOT NULL DEFAULT 0,
	lease_owner       text,
	lease_until       timestamptz,
	created_at        timestamptz NOT NULL,
	updated_at        timestamptz NOT NULL
);

ALTER SEQUENCE token_version_seq OWNED BY accounts.token_version;

-- ClaimDue walks this index in order (a NULL next_refresh_at first, as
-- -infinity), with "due" as an index condition, and stops at its limit: a
-- pass with nothing due reads no more than one entry.
CREATE INDEX accounts_due ON accounts ((coalesce(next_refresh_at, '-infinity')), id)
	WHERE NOT needs_reconnect;

CREATE TABLE history (
	id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id     text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	at             timestamptz NOT NULL,
	"trigger"      text        NOT NULL,
	outcome        text        NOT NULL,
	graph_code     integer     NOT NULL DEFAULT 0,
	graph_subcode  integer     NOT NULL DEFAULT 0,
	error          text        NOT NULL DEFAULT '',
	old_expires_at timestamptz,
	new_expires_at timestamptz,
	fingerprint    text        NOT NULL DEFAULT ''
);

CREATE INDEX history_account ON history (account_id, at, id);
CREATE INDEX history_at ON history (at, id);

-- key_check holds one known plaintext sealed with the key that was primary
-- when the database was created (or last re-encrypted), so that Open can
-- tell at once whether the configured keys can read the tokens.
CREATE TABLE key_check (
	id         integer     PRIMARY KEY CHECK (id = 1),
	key_id     text        NOT NULL,
	ciphertext bytea       NOT NULL,
	created_at timestamptz NOT NULL
);
