package igtoken

import "time"

// Account is one connected Instagram professional account and its token.
type Account struct {
	// ID is the Instagram account id: user_id from GET /me, the id API
	// paths and users use (§1.6).
	ID string
	// AppScopedID is the app-scoped user id from the code exchange and /me's
	// "id". Meta's deauthorize and data-deletion callbacks name this one
	// (§1.3, §7.1).
	AppScopedID string
	Username    string
	Token       Token
	Status      Status
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Label names the account for people: its username, else its id.
func (a *Account) Label() string {
	if a.Username != "" {
		return a.Username
	}
	return a.ID
}

// Status is the refresh bookkeeping of an account. The Manager decides it;
// stores only persist it.
type Status struct {
	// NeedsReconnect is set when Meta said the token can no longer be used
	// or refreshed (§3.3): only a new login helps.
	NeedsReconnect  bool
	ReconnectReason string
	// LastError describes the last failed attempt; empty after a success.
	LastError       string
	LastRefreshedAt time.Time
	// NextRefreshAt is when the refresher should look at the account again.
	NextRefreshAt time.Time
	RefreshCount  int
	// Failures counts consecutive failed attempts since the last success.
	Failures int
}

// State is what status reports about an account at a moment.
type State string

const (
	StateOK             State = "ok"
	StateExpiring       State = "expiring"
	StateExpired        State = "expired"
	StateNeedsReconnect State = "needs_reconnect"
	StateUnknown        State = "unknown"
)

// Trigger says what started a token operation; it is kept in the history.
type Trigger string

const (
	TriggerCLI    Trigger = "cli"
	TriggerCron   Trigger = "cron"
	TriggerServe  Trigger = "serve"
	Trigger190    Trigger = "190"
	TriggerLogin  Trigger = "login"
	TriggerImport Trigger = "import"
	// TriggerUse: a token was asked for (Manager.Token) close to expiry.
	TriggerUse Trigger = "use"
)

// Outcome is the result of one attempt, as kept in the history.
type Outcome string

const (
	OutcomeRefreshed      Outcome = "refreshed"
	OutcomeConverted      Outcome = "converted"
	OutcomeConnected      Outcome = "connected"
	OutcomeImported       Outcome = "imported"
	OutcomeFailed         Outcome = "failed"
	OutcomeNeedsReconnect Outcome = "needs_reconnect"
)

// HistoryEntry records one attempt to obtain, refresh or convert a token.
// It never holds a token value, only fingerprints.
type HistoryEntry struct {
	ID           int64
	AccountID    string
	At           time.Time
	Trigger      Trigger
	Outcome      Outcome
	GraphCode    int
	GraphSubcode int
	Error        string
	OldExpiresAt time.Time
	NewExpiresAt time.Time
	Fingerprint  string
}
