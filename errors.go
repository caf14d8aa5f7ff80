package igtoken

import "errors"

// Sentinel errors callers branch on. Wrap them with context; compare with
// errors.Is.
var (
	// ErrNotFound means no account matches.
	ErrNotFound = errors.New("account not found")
	// ErrConflict means the stored token changed since it was read: another
	// writer won, and the caller must re-read instead of overwriting.
	ErrConflict = errors.New("token was changed concurrently")
	// ErrLeased means another process holds the account's refresh lease.
	ErrLeased = errors.New("account is being refreshed by another process")
	// ErrReauthRequired means the user must log in again.
	ErrReauthRequired = errors.New("account must reconnect")
	// ErrTokenExpired means the stored token has expired.
	ErrTokenExpired = errors.New("token has expired")
	// ErrAccountRequired means several accounts are stored and none was named.
	ErrAccountRequired = errors.New("several accounts are stored: name one with --account")
	// ErrWrongKey means a stored token cannot be decrypted with the
	// configured encryption keys.
	ErrWrongKey = errors.New("stored tokens cannot be decrypted with the configured encryption key")
	// ErrConfig means a setting needed for the operation is missing or bad.
	ErrConfig = errors.New("configuration error")
)
