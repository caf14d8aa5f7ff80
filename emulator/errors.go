package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// apiError is a Graph API error (§3.1) before it is written.
type apiError struct {
	Status      int // 0 = statusFor(Code)
	Type        string
	Code        int
	Subcode     int
	Message     string
	IsTransient bool
	UserTitle   string // error_user_title
	UserMsg     string // error_user_msg
}

// graphErrorBody is the Graph envelope (§3.1). Field order follows Meta's.
type graphErrorBody struct {
	Error graphErrorFields `json:"error"`
}

type graphErrorFields struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode,omitempty"`
	UserTitle   string `json:"error_user_title,omitempty"`
	UserMsg     string `json:"error_user_msg,omitempty"`
	TraceID     string `json:"fbtrace_id"`
	IsTransient bool   `json:"is_transient,omitempty"`
}

// igErrorBody is api.instagram.com's own envelope for the code exchange, which
// is not the Graph one (§1.3).
type igErrorBody struct {
	ErrorType    string `json:"error_type"`
	Code         int    `json:"code"`
	ErrorMessage string `json:"error_message"`
}

// statusFor maps a Graph error code to the HTTP status Meta is observed to
// use (§3.2): 403 for throttling, 500 for codes 1 and 2, else 400.
func statusFor(code int) int {
	switch code {
	case 4, 17, 32, 613:
		return http.StatusForbidden
	case 1, 2:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func writeGraphError(w http.ResponseWriter, e *apiError) {
	status := e.Status
	if status == 0 {
		status = statusFor(e.Code)
	}
	if e.Code == 190 {
		// Graph also names a token error in this header (§2.1); no token in it.
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+
			strings.ReplaceAll(e.Message, `"`, `'`)+`"`)
	}
	writeJSON(w, status, graphErrorBody{Error: graphErrorFields{
		Message:     e.Message,
		Type:        e.Type,
		Code:        e.Code,
		Subcode:     e.Subcode,
		UserTitle:   e.UserTitle,
		UserMsg:     e.UserMsg,
		TraceID:     newTraceID(),
		IsTransient: e.IsTransient,
	}})
}

// writeIGError writes the code exchange's error envelope, always "code": 400
// and HTTP 400 for Meta's own errors (§1.3).
func writeIGError(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusBadRequest, igErrorBody{
		ErrorType: "OAuthException", Code: http.StatusBadRequest, ErrorMessage: message,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, text)
}

// Errors shared by the Graph endpoints. 190 messages carry no "(#190)"
// prefix; the others do (§3.1).

func errCannotParse() *apiError {
	return &apiError{Type: "OAuthException", Code: 190,
		Message: "Invalid OAuth access token - Cannot parse access token"}
}

// errExpired is 190/463 with Meta's wording (§1.5, §3.3).
func errExpired(expiredAt, now time.Time) *apiError {
	return &apiError{Type: "OAuthException", Code: 190, Subcode: 463, Message: fmt.Sprintf(
		"Error validating access token: Session has expired on %s. The current time is %s.",
		metaTime(expiredAt), metaTime(now))}
}

// errRevoked is 190 with a revoke subcode (§3.3).
func errRevoked(subcode int) *apiError {
	return &apiError{Type: "OAuthException", Code: 190, Subcode: subcode, Message: revokeMessage(subcode)}
}

// revokeMessage is Meta's message for a 190 subcode (§3.3).
func revokeMessage(subcode int) string {
	const prefix = "Error validating access token: "
	switch subcode {
	case 458:
		return prefix + "The user has not authorized application."
	case 459:
		return prefix + "You cannot access the app till you log in to www.facebook.com and follow the instructions given."
	case 460:
		return prefix + "The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."
	case 463:
		return prefix + "Session has expired."
	case 464:
		return prefix + "Sessions for the user are not allowed because the user is not a confirmed user."
	case 467:
		return "Invalid OAuth access token."
	}
	return prefix + "The session is invalid."
}

func errMissingParam(name string) *apiError {
	return &apiError{Type: "OAuthException", Code: 100,
		Message: "(#100) Missing required parameter: " + name}
}

func errBadGrantType(want string) *apiError {
	return &apiError{Type: "OAuthException", Code: 100,
		Message: "(#100) Invalid parameter: grant_type must be " + want}
}

// errMethod is Graph's answer to a wrong HTTP method, e.g. a POST to
// refresh_access_token (§1.5, §9).
func errMethod(method string) *apiError {
	return &apiError{Type: "GraphMethodException", Code: 100,
		Message: "Unsupported request - method type: " + strings.ToLower(method)}
}

// errParam is a code 100 error about a parameter; msg has no "(#100) ".
func errParam(msg string) *apiError {
	return &apiError{Type: "OAuthException", Code: 100, Message: "(#100) " + msg}
}

// errNoToken is Graph's answer to a call without a token: 2500 for a /me
// path, which needs a token to know who "me" is, else 104 (§3.3).
func errNoToken(me bool) *apiError {
	if me {
		return &apiError{Type: "OAuthException", Code: 2500,
			Message: "An active access token must be used to query information about the current user."}
	}
	return &apiError{Type: "OAuthException", Code: 104,
		Message: "An access token is required to request this resource."}
}

// errNoObject is Graph's answer for an id that is not there or not the
// caller's (§3.1: GraphMethodException 100/33).
func errNoObject(method, id string) *apiError {
	return &apiError{Type: "GraphMethodException", Code: 100, Subcode: 33, Message: "Unsupported " +
		strings.ToLower(method) + " request. Object with ID '" + id +
		"' does not exist, cannot be loaded due to missing permissions, or does not support this operation."}
}

// errNoField is Graph's answer to an unknown name in fields.
func errNoField(name, nodeType string) *apiError {
	return errParam("Tried accessing nonexisting field (" + name + ") on node type (" + nodeType + ")")
}

// errUnknownPath does not echo the path, which could hold a token by mistake.
func errUnknownPath(method string) *apiError {
	return &apiError{Type: "GraphMethodException", Code: 100,
		Message: "Unsupported " + strings.ToLower(method) + " request."}
}
