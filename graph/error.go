package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ErrMalformedResponse is wrapped by the error returned when Instagram answers
// 2xx with a body that does not parse or lacks a required field. The body is
// never quoted: it may hold a token.
var ErrMalformedResponse = errors.New("malformed response from Instagram")

// ErrAccessDenied is returned by ParseCode when the user refused the
// authorization request on Instagram's consent screen (§1.2).
var ErrAccessDenied = errors.New("graph: the user denied the authorization request")

// Error is an error answer from Instagram. It is decoded from either of the two
// envelopes Meta uses: the Graph envelope {"error":{…}} (§3.1) and the
// Instagram Login envelope {"error_type","code","error_message"} of the code
// exchange (§1.3). An answer with neither envelope but a non-2xx status is an
// Error with only StatusCode, Endpoint and a short Message.
type Error struct {
	StatusCode  int    // HTTP status
	Endpoint    string // e.g. "refresh_access_token"; never a URL
	Type        string // e.g. "OAuthException"
	Code        int    // e.g. 190 (invalid or expired token)
	Subcode     int    // error_subcode, e.g. 463 (expired), 460 (password changed)
	Message     string // Meta's message, with any token removed
	UserTitle   string // error_user_title
	UserMessage string // error_user_msg
	TraceID     string // fbtrace_id: log it, never show it to users
	IsTransient bool   // is_transient: Meta's hint that a retry may succeed
}

// Error returns, for example, "instagram refresh_access_token: (code 190,
// subcode 460) Error validating access token: …".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("instagram")
	if e.Endpoint != "" {
		b.WriteString(" " + e.Endpoint)
	}
	b.WriteString(": ")
	if e.Code != 0 {
		b.WriteString("(code " + strconv.Itoa(e.Code))
		if e.Subcode != 0 {
			b.WriteString(", subcode " + strconv.Itoa(e.Subcode))
		}
		b.WriteString(") ")
	}
	switch {
	case e.Message != "":
		b.WriteString(e.Message)
	case e.Type != "":
		b.WriteString(e.Type)
	default:
		b.WriteString("HTTP " + strconv.Itoa(e.StatusCode))
	}
	return b.String()
}

// enveloped reports whether e was decoded from an error envelope rather than
// made up from a bare HTTP status.
func (e *Error) enveloped() bool { return e.Code != 0 || e.Type != "" }

func (e *Error) redact(secrets []string) {
	e.Message = redact(e.Message, secrets)
	e.UserTitle = redact(e.UserTitle, secrets)
	e.UserMessage = redact(e.UserMessage, secrets)
}

// TransportError reports that no complete answer arrived from Instagram: the
// connection failed, was dropped, or the context ended. Err is the cause with
// net/http's *url.Error removed, because that error prints the whole URL,
// access_token included. errors.Is and errors.As see through it.
type TransportError struct {
	Endpoint string // e.g. "me"; never a URL
	Err      error
}

func (e *TransportError) Error() string { return "instagram " + e.Endpoint + ": " + e.Err.Error() }

func (e *TransportError) Unwrap() error { return e.Err }

func newTransportError(endpoint string, err error, secrets []string) *TransportError {
	return &TransportError{Endpoint: endpoint, Err: redactErr(withoutURL(err), secrets)}
}

// requestError reports a request that could not be built, which happens only
// with a bad base URL.
func requestError(endpoint string, err error) error {
	return fmt.Errorf("instagram %s: bad request URL: %w", endpoint, withoutURL(err))
}

// withoutURL drops net/http's *url.Error, whose text is the whole URL with its
// query, access_token included.
func withoutURL(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	return err
}

// IsTransient reports whether retrying the same call later may succeed:
// *TransportError (network failures, dropped connections, timeouts and ended
// contexts; check errors.Is(err, context.Canceled) to tell a shutdown apart),
// 5xx and 429 answers without a Graph error code, an unparsable 2xx body, the
// throttling and "try again" codes 1, 2, 4, 17, 32, 341, 613 and 80000–80014
// (§3.3, §4), and errors Meta flags is_transient. It is false whenever
// NeedsReconnect is true.
func IsTransient(err error) bool {
	if err == nil || NeedsReconnect(err) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.transient()
	}
	var te *TransportError
	var ne net.Error
	return errors.As(err, &te) || errors.As(err, &ne) ||
		errors.Is(err, ErrMalformedResponse) || errors.Is(err, context.DeadlineExceeded)
}

func (e *Error) transient() bool {
	switch {
	case e.IsTransient:
		return true
	case IsBadAppSecret(e):
		return false
	case !e.enveloped():
		return e.StatusCode >= 500 || e.StatusCode == 429
	case e.Code >= 80000 && e.Code <= 80014: // business use case rate limits (§4)
		return true
	case e.Code == e.StatusCode && e.StatusCode >= 500:
		// The Instagram Login envelope repeats the HTTP status as its code (§1.3).
		return true
	}
	switch e.Code {
	case 1, 2, 4, 17, 32, 341, 613:
		return true
	}
	return false
}

// IsBadAppSecret reports whether err is Meta refusing the app secret. It
// comes as code 1, otherwise a transient code (§2.1), but retrying cannot
// help: the configuration is wrong.
func IsBadAppSecret(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == 1 && strings.Contains(strings.ToLower(e.Message), "client secret")
}

// NeedsReconnect reports whether err means the user must log in again: code
// 190 with any subcode and 102 (no 190 subcode is fixed by a refresh, §3.3),
// code 10 (permission removed) except subcode 2534022, which is the messaging
// window and not a token problem, and the permission codes 200–299.
func NeedsReconnect(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case e.Code == 190, e.Code == 102:
		return true
	case e.Code == 10:
		return e.Subcode != 2534022
	case e.Code >= 200 && e.Code <= 299:
		return true
	}
	return false
}

// reconnectReasons words the 190/102 subcodes of §3.3 for people.
var reconnectReasons = map[int]string{
	458: "the user removed the app",
	459: "the user must log in on Instagram to clear a checkpoint",
	460: "the user changed their password (or Meta reset the session)",
	463: "the token expired",
	464: "the user must confirm their account on Instagram",
	467: "the token is invalid",
	492: "the user no longer has a role on the linked Facebook Page",
}

// ReconnectReason says in words why the user must log in again, for example
// "the token expired" for subcode 463. For codes it does not know it returns
// Meta's message. It returns "" when NeedsReconnect(err) is false.
func ReconnectReason(err error) string {
	if !NeedsReconnect(err) {
		return ""
	}
	var e *Error
	errors.As(err, &e)
	if e.Code == 10 || (e.Code >= 200 && e.Code <= 299) {
		return "a permission was removed"
	}
	if r, ok := reconnectReasons[e.Subcode]; ok {
		return r
	}
	if e.Message != "" {
		return e.Message
	}
	return "the token is no longer valid"
}

// envelope holds both error envelopes; a success body fills none of it.
type envelope struct {
	Error json.RawMessage `json:"error"` // Graph envelope object (§3.1), or an OAuth 2 error string

	// Instagram Login envelope of the code exchange (§1.3).
	ErrorType    string `json:"error_type"`
	Code         int    `json:"code"`
	ErrorMessage string `json:"error_message"`

	ErrorDescription string `json:"error_description"` // OAuth 2 style, with a string "error"
}

type graphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	UserTitle   string `json:"error_user_title"`
	UserMessage string `json:"error_user_msg"`
	TraceID     string `json:"fbtrace_id"`
	IsTransient bool   `json:"is_transient"`
}

// ParseError decodes a Graph or Instagram Login error envelope (§1.3, §3.1)
// from a response body, or returns nil when body holds none. It serves
// callers that make their own Graph requests, so that they classify errors
// exactly as this client does. The secrets are scrubbed from the messages.
func ParseError(endpoint string, status int, body []byte, secrets ...string) *Error {
	e := parseError(status, body)
	if e == nil {
		return nil
	}
	e.Endpoint = endpoint
	e.redact(secrets)
	return e
}

// parseError decodes an error envelope from body. It returns nil when body
// holds none, whatever the status.
func parseError(status int, body []byte) *Error {
	var env envelope
	if json.Unmarshal(body, &env) != nil {
		return nil
	}
	if len(env.Error) > 0 && env.Error[0] == '{' {
		var g graphError
		if json.Unmarshal(env.Error, &g) != nil {
			return nil
		}
		return &Error{StatusCode: status, Type: g.Type, Code: g.Code, Subcode: g.Subcode,
			Message: g.Message, UserTitle: g.UserTitle, UserMessage: g.UserMessage,
			TraceID: g.TraceID, IsTransient: g.IsTransient}
	}
	if env.ErrorType != "" || env.ErrorMessage != "" {
		return &Error{StatusCode: status, Type: env.ErrorType, Code: env.Code, Message: env.ErrorMessage}
	}
	var s string
	if len(env.Error) > 0 && json.Unmarshal(env.Error, &s) == nil && s != "" {
		return &Error{StatusCode: status, Type: s, Message: env.ErrorDescription}
	}
	return nil
}

func malformed(endpoint, detail string) error {
	return fmt.Errorf("instagram %s: %w (%s)", endpoint, ErrMalformedResponse, detail)
}

// redactErr keeps err unless its text contains a secret; then it returns an
// error with the secrets replaced that still unwraps to err.
func redactErr(err error, secrets []string) error {
	if msg := redact(err.Error(), secrets); msg != err.Error() {
		return &redactedError{msg: msg, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact replaces every secret in s. Values under 8 bytes are not secrets
// worth garbling a message for (tokens are ~150 bytes, §0).
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 8 {
			s = strings.ReplaceAll(s, v, "[redacted]")
			s = strings.ReplaceAll(s, url.QueryEscape(v), "[redacted]")
		}
	}
	return s
}

// IsThrottled reports whether err is one of Meta's rate-limit errors (§4):
// codes 4 (app), 17 (user), 32 (page), 613 and 80000–80014 (business use
// case, 80002 for Instagram).
func IsThrottled(err error) bool {
	switch c := Code(err); {
	case c == 4, c == 17, c == 32, c == 613:
		return true
	default:
		return c >= 80000 && c <= 80014
	}
}

// Code returns the Graph error code of err, or 0 if err is not an *Error.
func Code(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
