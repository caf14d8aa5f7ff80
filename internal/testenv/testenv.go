// Package testenv builds what igtoken's tests share: a real in-memory SQLite
// store, a graph client pointed at an emulator, and a Manager over both
// with fast retries. Tests fake the network at the HTTP boundary only.
package testenv

import (
	"testing"
	"time"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/graph"
	"github.com/igtoken/igtoken/internal/seal"
	"github.com/igtoken/igtoken/sqlite"
)

// Store opens an in-memory SQLite store, closed when the test ends.
func Store(tb testing.TB) *sqlite.Store {
	tb.Helper()
	keys, err := seal.NewKeyring(make([]byte, seal.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	store, err := sqlite.Open(sqlite.Memory, keys)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// Client returns a graph client for the emulator's default app, with every
// Meta host at metaURL.
func Client(metaURL, redirectURI string) *graph.Client {
	return &graph.Client{
		AppID: emulator.DefaultAppID, AppSecret: emulator.DefaultAppSecret, RedirectURI: redirectURI,
		AuthURL: metaURL, APIURL: metaURL, GraphURL: metaURL,
	}
}

// Manager returns a Manager over store and client that follows the
// emulator's clock and retries transient failures within milliseconds.
func Manager(store igtoken.Store, client *graph.Client, emu *emulator.Server) *igtoken.Manager {
	m := igtoken.NewManager(store, client)
	m.Now = emu.Now
	m.Retry = igtoken.Backoff{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}
	return m
}
