package dashboard

import (
	"fmt"
	"strconv"
	"time"

	"github.com/igtoken/igtoken"
)

// The types in this file are everything a template sees. They are built
// from AccountStatus and HistoryEntry, which hold no token value; an
// *igtoken.Account never reaches a template.

// lifetimeDays is the life of a long-lived token, the length of the bar.
const lifetimeDays = 60

// page is the data of every template.
type page struct {
	Title       string
	LoggedIn    bool
	CSRF        string
	Flash       *flash
	ConnectPath string
	Sandbox     *sandboxView // nil outside the sandbox, and when logged out

	// Login form.
	LoginError string
	Next       string
	// Account table.
	Accounts []accountRow
	// Account page and remove confirmation.
	Account *accountView
	History []historyRow
	// Error page.
	Status  int
	Message string
}

// sandboxView is the emulated clock and what can be done with it.
type sandboxView struct {
	Now     timeView
	Ahead   string // how far ahead of the wall clock, e.g. "37 days"
	RunPass bool
}

// timeView is a moment as people read it.
type timeView struct {
	Set bool
	Abs string // 2026-03-04 10:00 UTC
	Rel string // in 3 days, 5 h ago
	ISO string // for <time datetime>
}

// accountRow is one line of the account table.
type accountRow struct {
	ID          string
	Username    string
	Kind        string
	State       string // ok, expiring, expired, needs_reconnect, unknown: the badge class
	StateLabel  string
	Reconnect   string // why the user must reconnect
	Expiry      expiryView
	LastRefresh timeView
	NextRefresh timeView
	Refreshes   int
	LastError   string
}

// expiryView is the days-left bar.
type expiryView struct {
	Known    bool
	DaysLeft string // "42.3"
	Width    string // of the bar, in days out of lifetimeDays
	At       timeView
}

// accountView is the account page: its row plus details.
type accountView struct {
	accountRow
	AppScopedID string
	Fingerprint string
	IssuedAt    timeView
	CreatedAt   timeView
}

// historyRow is one refresh attempt.
type historyRow struct {
	At           timeView
	Trigger      string
	Outcome      string
	OutcomeClass string // ok, error, info
	Code         string // Graph code/subcode, e.g. 190/460
	Error        string
	OldExpiry    string
	NewExpiry    string
	Fingerprint  string
}

var stateLabels = map[igtoken.State]string{
	igtoken.StateOK:             "ok",
	igtoken.StateExpiring:       "expiring",
	igtoken.StateExpired:        "expired",
	igtoken.StateNeedsReconnect: "needs reconnect",
	igtoken.StateUnknown:        "unknown",
}

func rowOf(s igtoken.AccountStatus, now time.Time) accountRow {
	state := s.State
	if _, ok := stateLabels[state]; !ok {
		state = igtoken.StateUnknown
	}
	r := accountRow{
		ID:          s.AccountID,
		Username:    s.Username,
		Kind:        string(s.TokenKind),
		State:       string(state),
		StateLabel:  stateLabels[state],
		Reconnect:   s.ReconnectReason,
		LastRefresh: timeOf(s.LastRefreshedAt, now),
		NextRefresh: timeOf(s.NextRefreshAt, now),
		Refreshes:   s.RefreshCount,
	}
	if s.LastError != nil {
		r.LastError = *s.LastError
	}
	if s.DaysLeft != nil && s.ExpiresAt != nil {
		d := *s.DaysLeft
		r.Expiry = expiryView{
			Known:    true,
			DaysLeft: strconv.FormatFloat(d, 'f', 1, 64),
			Width:    strconv.FormatFloat(min(max(d, 0), lifetimeDays), 'f', 2, 64),
			At:       timeOf(s.ExpiresAt, now),
		}
	}
	return r
}

func accountViewOf(s igtoken.AccountStatus, a *igtoken.Account, now time.Time) *accountView {
	return &accountView{
		accountRow:  rowOf(s, now),
		AppScopedID: a.AppScopedID,
		Fingerprint: a.Token.Fingerprint(),
		IssuedAt:    timeOf(s.IssuedAt, now),
		CreatedAt:   timeOf(&a.CreatedAt, now),
	}
}

var triggerLabels = map[igtoken.Trigger]string{
	igtoken.TriggerCLI:    "cli",
	igtoken.TriggerCron:   "cron",
	igtoken.TriggerServe:  "serve",
	igtoken.Trigger190:    "190 recovery",
	igtoken.TriggerLogin:  "login",
	igtoken.TriggerImport: "import",
}

func historyOf(entries []igtoken.HistoryEntry, now time.Time) []historyRow {
	rows := make([]historyRow, len(entries))
	for i, e := range entries {
		r := historyRow{
			At:          timeOf(&e.At, now),
			Trigger:     string(e.Trigger),
			Outcome:     string(e.Outcome),
			Error:       e.Error,
			OldExpiry:   dateOf(e.OldExpiresAt),
			NewExpiry:   dateOf(e.NewExpiresAt),
			Fingerprint: e.Fingerprint,
		}
		if l, ok := triggerLabels[e.Trigger]; ok {
			r.Trigger = l
		}
		switch e.Outcome {
		case igtoken.OutcomeFailed, igtoken.OutcomeNeedsReconnect:
			r.OutcomeClass = "error"
		case igtoken.OutcomeRefreshed, igtoken.OutcomeConverted, igtoken.OutcomeConnected:
			r.OutcomeClass = "ok"
		default:
			r.OutcomeClass = "info"
		}
		switch {
		case e.GraphCode != 0 && e.GraphSubcode != 0:
			r.Code = fmt.Sprintf("%d/%d", e.GraphCode, e.GraphSubcode)
		case e.GraphCode != 0:
			r.Code = strconv.Itoa(e.GraphCode)
		}
		rows[i] = r
	}
	return rows
}

func timeOf(t *time.Time, now time.Time) timeView {
	if t == nil || t.IsZero() {
		return timeView{}
	}
	return timeView{
		Set: true,
		Abs: t.UTC().Format("2006-01-02 15:04 UTC"),
		Rel: relative(t.Sub(now)),
		ISO: t.UTC().Format(time.RFC3339),
	}
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// relative writes d (a moment minus now) as "in 3 days" or "5 h ago".
func relative(d time.Duration) string {
	if d.Abs() < time.Minute {
		return "just now"
	}
	if d > 0 {
		return "in " + span(d)
	}
	return span(d) + " ago"
}

// span writes |d| roughly: "12 min", "5 h", "3 days".
func span(d time.Duration) string {
	d = d.Abs()
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
