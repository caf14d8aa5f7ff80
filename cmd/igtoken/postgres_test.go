package main

import (
	"testing"

	"github.com/igtoken/igtoken/internal/testenv"
)

// TestPostgres runs the CLI on PostgreSQL: migrate, a login, and a key
// rotation that ends with the old key dropped.
func TestPostgres(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("IGTOKEN_DATABASE_URL", testenv.PostgresURL(t))
	oldKey, rotated := newKey(t), newKey(t)
	e.set("IGTOKEN_ENCRYPTION_KEY", oldKey)

	r := e.ok("migrate")
	contains(t, "migrate", r.stdout, "schema is up to date (postgres ")
	e.ok("authenticate", "--code", e.redirect(e.authURL(), "pat"))
	if row := e.statusOf("pat"); row.State != "ok" || row.TokenKind != "long-lived" {
		t.Fatalf("pat = %+v", row)
	}
	before := e.ok("token").stdout

	e.set("IGTOKEN_ENCRYPTION_KEY", rotated+","+oldKey)
	r = e.ok("keys", "rotate")
	contains(t, "keys rotate", r.stdout, "re-encrypted 1 token", "can be dropped")
	e.set("IGTOKEN_ENCRYPTION_KEY", rotated)
	if after := e.ok("token").stdout; after != before {
		t.Error("the token changed across a key rotation")
	}
	e.set("IGTOKEN_ENCRYPTION_KEY", oldKey)
	r = e.fail(1, "status")
	contains(t, "status with the dropped key", r.stderr, "IGTOKEN_ENCRYPTION_KEY")
}
