// Package igtoken keeps Instagram access tokens alive for any number of accounts.
//
// It runs the OAuth login, exchanges the one-hour token for a 60-day token at
// once, stores every token encrypted (through a [Store]), refreshes each one
// well before it expires, and tells a person (through a [Notifier]) when a
// user really must reconnect.
//
// The rules live here: the pure policy functions in policy.go take the time
// as an argument, and [Manager] applies them. Stores only persist; the
// Instagram client lives in package graph; the binary in cmd/igtoken wires
// everything together.
//
// Meta API facts cited in comments as "§N" refer to sections of
// reference/instagram-api.md in the project's shared documents.
package igtoken
