-- Token versions are never reused for an account id, even after the account
-- is deleted and connects again: a refresh that read the old row must not
-- compare-and-swap onto the new one. A deleted row leaves its last version
-- in a single floor (no account id is kept: data deletion stays complete),
-- and a new row starts above it.
CREATE TABLE token_version_floor (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	last INTEGER NOT NULL
) STRICT;

INSERT INTO token_version_floor (id, last) SELECT 1, coalesce(max(token_version), 0) FROM accounts;

CREATE TRIGGER accounts_version_floor AFTER DELETE ON accounts
BEGIN
	UPDATE token_version_floor SET last = max(last, old.token_version) WHERE id = 1;
END;
