package postgres

import (
	"bytes"
	"testing"

	"github.com/igtoken/igtoken/internal/seal"
	"github.com/igtoken/igtoken/internal/testenv"
)

// The tests' database: a fresh schema per store, dropped afterwards
// (internal/testenv); without IGTOKEN_TEST_DATABASE_URL they skip, or fail
// under CI=true.
var (
	testDatabaseURL = testenv.PostgresBaseURL
	newSchema       = testenv.PostgresURL
)

// keyBytes returns the test key numbered n.
func keyBytes(n byte) []byte { return bytes.Repeat([]byte{n}, seal.KeySize) }

// testKeyring returns a keyring of the test keys numbered ns, the first
// primary.
func testKeyring(tb testing.TB, ns ...byte) *seal.Keyring {
	tb.Helper()
	var keys [][]byte
	for _, n := range ns {
		keys = append(keys, keyBytes(n))
	}
	k, err := seal.NewKeyring(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// openTest opens a store on dsn that is closed at the end of the test.
func openTest(tb testing.TB, dsn string, keys *seal.Keyring, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), dsn, keys, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
