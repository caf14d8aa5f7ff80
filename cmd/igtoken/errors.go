package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/graph"
)

// Exit statuses (DESIGN.md).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in how igtoken was called: an unknown command or
// flag, or a bad argument. It exits with status 2.
type usageError struct {
	err     error
	cmdPath string // for the "--help" hint
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...), cmdPath: cmd.CommandPath()}
}

// usageArgs makes cobra's argument checks usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err: err, cmdPath: cmd.CommandPath()}
		}
		return nil
	}
}

// hintedError carries its own message and hint, and wraps err (often a
// sentinel) without repeating its text.
type hintedError struct {
	msg, hint string
	err       error
}

func (e *hintedError) Error() string { return e.msg }
func (e *hintedError) Unwrap() error { return e.err }

// withHint adds a hint to err, keeping its message.
func withHint(err error, hint string) error {
	return &hintedError{msg: err.Error(), hint: hint, err: err}
}

// configError is a setting that stops a command. It exits with status 2.
func configError(format string, args ...any) error {
	return &hintedError{msg: fmt.Sprintf(format, args...), err: igtoken.ErrConfig}
}

// exitError ends the command with code after it has said everything it had
// to say: Main prints nothing more.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode is the one place errors become exit statuses.
func exitCode(err error) int {
	var ee *exitError
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue), errors.Is(err, igtoken.ErrConfig):
		return exitUsage
	}
	return exitFailure
}

// report prints err, and a hint of what to do about it, on w, and returns
// the exit status.
func report(w io.Writer, err error) int {
	code := exitCode(err)
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return code
	}
	fmt.Fprintf(w, "igtoken: %s\n", message(err))
	if h := hint(err); h != "" {
		fmt.Fprintf(w, "hint: %s\n", h)
	}
	return code
}

func message(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	return strings.TrimPrefix(err.Error(), "graph: ")
}

// Hints for the sentinels people can act on.
const (
	hintConnect = "connect an account: run `igtoken auth-url`, open the URL, then `igtoken authenticate --code <code or the whole redirect URL>`"
	hintList    = "`igtoken status` lists the stored accounts"
	hintKey     = "check IGTOKEN_ENCRYPTION_KEY (or, if it is unset, the key file in the data directory): it must hold the key the tokens were stored with; the stored data is untouched"
	hintReauth  = "the user must log in again: run `igtoken auth-url`, open the URL as the account's owner, then `igtoken authenticate --code <code or the whole redirect URL>`"
	hintCode    = "authorization codes work once and for one hour: run `igtoken auth-url` again and use the new code"
)

func hint(err error) string {
	var he *hintedError
	var ue *usageError
	var ge *graph.Error
	switch {
	case errors.As(err, &he) && he.hint != "":
		return he.hint
	case errors.As(err, &ue):
		return fmt.Sprintf("run `%s --help` for usage", ue.cmdPath)
	case errors.Is(err, igtoken.ErrConfig):
		return "" // every configuration error names its variable and what it wants
	case errors.Is(err, igtoken.ErrAccountRequired), errors.Is(err, igtoken.ErrNotFound):
		return hintList
	case errors.Is(err, igtoken.ErrWrongKey):
		return hintKey
	case errors.Is(err, graph.ErrAccessDenied):
		return "the authorization was declined on Instagram: run `igtoken auth-url` again and approve it"
	case errors.Is(err, igtoken.ErrReauthRequired), errors.Is(err, igtoken.ErrTokenExpired), graph.NeedsReconnect(err):
		return hintReauth
	case errors.As(err, &ge) && ge.Endpoint == "oauth/access_token" && ge.Code == 400:
		return hintCode
	case graph.IsTransient(err):
		return "Instagram did not answer properly; try again later"
	}
	return ""
}

// isReauth reports whether err means only a new login helps.
func isReauth(err error) bool {
	return errors.Is(err, igtoken.ErrReauthRequired) || errors.Is(err, igtoken.ErrTokenExpired)
}
