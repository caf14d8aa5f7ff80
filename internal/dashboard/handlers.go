package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/igtoken/igtoken"
)

// historyLimit is how many history entries the account page shows.
const historyLimit = 100

// handleIndex shows the account table, or the login form.
func (h *Handler) handleIndex(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.session(r); !ok {
		h.renderLogin(w, r, http.StatusOK, "", localPath(r.URL.Query().Get("next")))
		return
	}
	statuses, err := h.m.Statuses(r.Context())
	if err != nil {
		h.fail(w, r, "list accounts", err)
		return
	}
	now := h.now()
	rows := make([]accountRow, len(statuses))
	for i, s := range statuses {
		rows[i] = rowOf(s, now)
	}
	h.render(w, r, http.StatusOK, "accounts", &page{Title: "Accounts", Accounts: rows})
}

// handleLogin checks the admin token and starts a session.
func (h *Handler) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	next := localPath(r.PostForm.Get("next"))
	if !h.checkAdminToken(r.PostForm.Get("token")) {
		h.log.Warn("dashboard: failed login", "remote", r.RemoteAddr)
		h.renderLogin(w, r, http.StatusUnauthorized, "That is not the admin token.", next)
		return
	}
	h.log.Info("dashboard: login", "remote", r.RemoteAddr)
	http.SetCookie(w, h.newSession(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleLogout ends the session.
func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.session(r); !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	h.requireCSRF(func(w http.ResponseWriter, r *http.Request, s session) {
		http.SetCookie(w, h.endSession(r, s))
		h.redirect(w, r, "/", flash{"info", "Logged out."})
	})(w, r)
}

// handleAccount shows one account and its refresh history.
func (h *Handler) handleAccount(w http.ResponseWriter, r *http.Request, _ session) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	statuses, err := h.m.Statuses(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, "account status", err)
		return
	}
	entries, err := h.m.History(r.Context(), a.ID, historyLimit)
	if err != nil {
		h.fail(w, r, "account history", err)
		return
	}
	now := h.now()
	h.render(w, r, http.StatusOK, "account", &page{
		Title:   label(a),
		Account: accountViewOf(statuses[0], a, now),
		History: historyOf(entries, now),
	})
}

// handleAccountRefresh refreshes one account now: forced past the refresh
// window, but never against Meta's rules (a token under 24 h old is
// skipped, with the reason).
func (h *Handler) handleAccountRefresh(w http.ResponseWriter, r *http.Request, _ session) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	rep, err := h.m.Refresh(r.Context(), igtoken.RunOptions{IDs: []string{a.ID}, Force: true, Trigger: igtoken.TriggerServe})
	if err != nil {
		h.fail(w, r, "refresh", err)
		return
	}
	f := flash{"info", "Nothing was done."}
	for _, res := range rep.Results {
		f = refreshFlash(label(a), res, h.now())
		h.log.Info("dashboard: refresh", "account_id", a.ID, "outcome", res.Outcome)
	}
	h.redirect(w, r, returnPath(r, a), f)
}

func refreshFlash(who string, res igtoken.Result, now time.Time) flash {
	reason := res.Error
	if reason == "" {
		reason = res.Reason
	}
	switch res.Outcome {
	case igtoken.ResultRefreshed, igtoken.ResultConverted:
		verb := "Refreshed " + who
		if res.Outcome == igtoken.ResultConverted {
			verb = "Exchanged the short-lived token of " + who + " for a long-lived one"
		}
		if t := timeOf(res.NewExpiresAt, now); t.Set {
			return flash{"ok", fmt.Sprintf("%s: the token now expires %s (%s).", verb, t.Abs, t.Rel)}
		}
		return flash{"ok", verb + "."}
	case igtoken.ResultNeedsReconnect:
		return flash{"error", who + " must reconnect: " + reason}
	case igtoken.ResultFailed:
		return flash{"error", "Refreshing " + who + " failed: " + reason}
	}
	return flash{"info", who + " was not refreshed: " + reason}
}

// handleAccountRemoveConfirm asks before removing an account.
func (h *Handler) handleAccountRemoveConfirm(w http.ResponseWriter, r *http.Request, _ session) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	statuses, err := h.m.Statuses(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, "account status", err)
		return
	}
	h.render(w, r, http.StatusOK, "remove", &page{
		Title:   "Remove " + label(a),
		Account: accountViewOf(statuses[0], a, h.now()),
	})
}

// handleAccountRemove forgets an account once the confirmation form says so.
func (h *Handler) handleAccountRemove(w http.ResponseWriter, r *http.Request, _ session) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		h.redirect(w, r, accountPath(a.ID)+"/remove", flash{"info", "Confirm the removal first."})
		return
	}
	if err := h.m.Remove(r.Context(), a.ID); err != nil {
		h.fail(w, r, "remove", err)
		return
	}
	h.log.Info("dashboard: removed account", "account_id", a.ID)
	h.redirect(w, r, "/", flash{"ok", "Removed " + label(a) + ": its token and refresh history are gone."})
}

// handleSandboxAdvance moves the emulated clock forward by whole days.
func (h *Handler) handleSandboxAdvance(w http.ResponseWriter, r *http.Request, _ session) {
	if h.cfg.Sandbox == nil {
		h.handleNotFound(w, r)
		return
	}
	days, err := strconv.Atoi(r.PostForm.Get("days"))
	if err != nil || days < 1 || days > 3650 {
		h.renderError(w, r, http.StatusBadRequest, "Days must be a whole number from 1 to 3650.")
		return
	}
	h.cfg.Sandbox.Advance(time.Duration(days) * 24 * time.Hour)
	now := h.cfg.Sandbox.Now().UTC().Format("2006-01-02 15:04 UTC")
	h.log.Info("dashboard: sandbox clock advanced", "days", days)
	h.redirect(w, r, "/", flash{"ok", fmt.Sprintf("Emulated clock moved forward %s: it is now %s.", plural(days, "day"), now)})
}

// handleSandboxRevoke makes the emulator reject the account's tokens as if
// the user had changed their password (190/460).
func (h *Handler) handleSandboxRevoke(w http.ResponseWriter, r *http.Request, _ session) {
	if h.cfg.Sandbox == nil {
		h.handleNotFound(w, r)
		return
	}
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	h.cfg.Sandbox.Revoke(a.Username, 460)
	h.log.Info("dashboard: sandbox revoke", "account_id", a.ID)
	h.redirect(w, r, returnPath(r, a), flash{"info", "The emulator now rejects the tokens of " + label(a) +
		" with error 190/460 (password changed). The next refresh will mark it needs reconnect."})
}

// handleSandboxPass runs one refresh pass of the daemon now.
func (h *Handler) handleSandboxPass(w http.ResponseWriter, r *http.Request, _ session) {
	if h.cfg.RunPass == nil {
		h.handleNotFound(w, r)
		return
	}
	if err := h.cfg.RunPass(r.Context()); err != nil {
		h.log.Error("dashboard: refresh pass", "err", err)
		h.redirect(w, r, "/", flash{"error", "The refresh pass failed: " + err.Error()})
		return
	}
	h.redirect(w, r, "/", flash{"ok", "Refresh pass done: every due account was looked at."})
}

func (h *Handler) handleNotFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusNotFound, "There is no such page.")
}

// account resolves the {id} of the path (an Instagram id or a username), or
// answers with the error and reports false.
func (h *Handler) account(w http.ResponseWriter, r *http.Request) (*igtoken.Account, bool) {
	id := r.PathValue("id")
	if strings.TrimPrefix(strings.TrimSpace(id), "@") == "" {
		h.handleNotFound(w, r)
		return nil, false
	}
	a, err := h.m.Resolve(r.Context(), id)
	if err != nil {
		h.fail(w, r, "find account", err)
		return nil, false
	}
	return a, true
}

// fail answers with the page that fits err. Only the messages of known
// sentinel errors are shown; anything else goes to the log.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, igtoken.ErrNotFound):
		h.renderError(w, r, http.StatusNotFound, "There is no such account.")
	case errors.Is(err, igtoken.ErrWrongKey):
		h.log.Error("dashboard: "+what, "err", err)
		h.renderError(w, r, http.StatusInternalServerError, igtoken.ErrWrongKey.Error()+".")
	default:
		h.log.Error("dashboard: "+what, "err", err)
		h.renderError(w, r, http.StatusInternalServerError, "Something went wrong ("+what+"); the server log has the details.")
	}
}

func label(a *igtoken.Account) string {
	if a.Username != "" {
		return "@" + a.Username
	}
	return a.ID
}

func accountPath(id string) string { return "/accounts/" + url.PathEscape(id) }

// returnPath is where an action sends the browser back to: the account
// page if the form came from there, else the table.
func returnPath(r *http.Request, a *igtoken.Account) string {
	if r.PostForm.Get("return") == "account" {
		return accountPath(a.ID)
	}
	return "/"
}

// localPath returns p if it is a path on this site, else "/": the login
// form must not become an open redirect.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
