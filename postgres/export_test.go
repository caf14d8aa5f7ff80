package postgres

// Test helpers for package postgres_test.
var (
	DatabaseURL = testDatabaseURL
	NewSchema   = newSchema
	TestKeyring = testKeyring
	KeyBytes    = keyBytes
	OpenTest    = openTest
)
