package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/graph"
)

// Error codes of the JSON error body {"error":{"code","message"}}. They are
// a contract: clients branch on them.
const (
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodeReauthRequired  = "reauth_required"
	CodeUnauthorized    = "unauthorized"
	CodeBadRequest      = "bad_request"
	CodeInternal        = "internal"
	CodeUpstream        = "upstream_error"   // Instagram failed or answered garbage
	CodeUpstreamTimeout = "upstream_timeout" // Instagram (or the request) timed out
	CodeUnavailable     = "unavailable"      // not configured or not ready
	CodeTooLarge        = "too_large"        // the request body is over the limit
	CodeOutsideWindow   = "outside_window"   // a message outside the 24 h window (§6); not a token problem
	CodeQuotaUsed       = "quota_used"       // the publishing quota is used up (§4.1)
	CodeForbiddenPath   = "forbidden_path"   // a Graph proxy path outside the account's own node
)

// Error is an error the server raises itself, with the status and code it
// answers with; Message is shown to the client.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// classify maps err to a status, a code and a message safe to show. It is
// the only place where errors become statuses. Internal errors get a
// generic message and internal=true, so the caller logs them once.
func classify(err error) (status int, code, msg string, internal bool) {
	var se *Error
	var ge *graph.Error
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return se.Status, se.Code, se.Message, se.Status >= 500
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return http.StatusGatewayTimeout, CodeUpstreamTimeout, "Instagram did not answer in time; try again", false
	case errors.Is(err, igtoken.ErrNotFound):
		return http.StatusNotFound, CodeNotFound, err.Error(), false
	case errors.Is(err, igtoken.ErrOutsideWindow):
		return http.StatusUnprocessableEntity, CodeOutsideWindow,
			"Instagram refused the message: the recipient has not written to the account in the last 24 hours. " +
				"This is not a token problem; the account is fine", false
	case errors.Is(err, igtoken.ErrQuotaUsed):
		return http.StatusTooManyRequests, CodeQuotaUsed, err.Error(), false
	case errors.Is(err, igtoken.ErrReauthRequired), errors.Is(err, igtoken.ErrTokenExpired):
		return http.StatusConflict, CodeReauthRequired, err.Error() + "; the user must connect again", false
	case errors.Is(err, igtoken.ErrConflict), errors.Is(err, igtoken.ErrLeased):
		return http.StatusConflict, CodeConflict, err.Error(), false
	case errors.Is(err, igtoken.ErrAccountRequired), errors.Is(err, graph.ErrAccessDenied):
		return http.StatusBadRequest, CodeBadRequest, err.Error(), false
	case graph.IsBadAppSecret(err):
		return http.StatusInternalServerError, CodeInternal, "internal error", true
	case errors.As(err, &ge) && !graph.IsTransient(err) && ge.StatusCode < 500:
		// Instagram refused what we sent: a used, expired or unknown code.
		return http.StatusBadRequest, CodeBadRequest, err.Error(), false
	case graph.IsTransient(err), errors.As(err, &ge):
		return http.StatusBadGateway, CodeUpstream, "Instagram failed; try again in a few minutes (" + err.Error() + ")", false
	}
	return http.StatusInternalServerError, CodeInternal, "internal error", true
}

// errorBody is the JSON error shape.
type errorBody struct {
	Error errorFields `json:"error"`
}

type errorFields struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers err as JSON. Internal errors are logged here, once,
// and never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := s.resolve(r, err)
	writeJSON(w, status, errorBody{errorFields{code, msg}})
}

// writeErrorPage answers err as the HTML page p for people (the OAuth flow
// and Meta's status page), with the same mapping as writeError. The error's
// message is added to p's details.
func (s *Server) writeErrorPage(w http.ResponseWriter, r *http.Request, p page, err error) {
	status, _, msg := s.resolve(r, err)
	msg = capitalize(msg)
	p.Error = true
	if p.Message == "" {
		p.Message = msg
	} else {
		p.Details = append(p.Details, msg)
	}
	s.renderPage(w, status, p)
}

func (s *Server) resolve(r *http.Request, err error) (int, string, string) {
	status, code, msg, internal := classify(err)
	if internal {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if status >= 500 {
		s.log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	return status, code, msg
}

// capitalize starts a sentence for a page.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

// promLogger adapts the logger to promhttp's error log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error("metrics: " + fmt.Sprint(v...)) }
