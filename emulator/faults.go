package emulator

import (
	"fmt"
	"net/http"
	"slices"
)

// endpoints lists every endpoint name.
var endpoints = []string{
	EndpointAuthorize, EndpointAccessToken, EndpointIGExchangeToken, EndpointIGRefreshToken, EndpointMe,
	EndpointMessages, EndpointMedia, EndpointRupload, EndpointContainer, EndpointMediaPublish,
	EndpointPublishingLimit,
}

// Fault is a scripted failure for [Server.FailNext]. The first of Drop,
// Hang, Malformed, DropAfterBytes and DropAfter that is set wins; otherwise
// the endpoint answers with an error built from the other fields, in its own
// envelope: a text page for authorize, the api.instagram.com envelope for
// access_token (§1.3), the Graph envelope (§3.1) for the others (rupload
// too, unless Config.RuploadDebugInfo is set).
type Fault struct {
	// Status is the HTTP status; 0 derives it from Code (§3.2).
	Status int `json:"status,omitempty"`
	// Type is the error type; "" means OAuthException.
	Type string `json:"type,omitempty"`
	// Code is the error code; 0 means 2 (a temporary Meta error).
	Code    int `json:"code,omitempty"`
	Subcode int `json:"subcode,omitempty"`
	// Message is the error message; "" means Meta's usual one for Code.
	Message     string `json:"message,omitempty"`
	IsTransient bool   `json:"is_transient,omitempty"`
	// Malformed answers 200 with a truncated, non-JSON body.
	Malformed bool `json:"malformed,omitempty"`
	// Hang blocks until the request's context is done (or the Server is
	// closed), then drops the connection.
	Hang bool `json:"hang,omitempty"`
	// Drop hijacks and closes the connection without answering. Note that
	// net/http clients retry an idempotent request that fails this way on
	// a reused keep-alive connection.
	Drop bool `json:"drop,omitempty"`
	// DropAfterBytes, on rupload, keeps the first DropAfterBytes bytes of
	// the upload's body (fewer if the body is shorter), then drops the
	// connection without answering: the upload breaks midway and can be
	// resumed from the offset the emulator reports (§5.2). Elsewhere it is
	// Drop. See [Server.FailNextUpload].
	DropAfterBytes int64 `json:"drop_after_bytes,omitempty"`
	// DropAfter serves the request, so that it takes effect (a message is
	// sent, a media published), then drops the connection instead of
	// answering: the client cannot tell whether it worked, which is what
	// exactly-once tests need.
	DropAfter bool `json:"drop_after,omitempty"`
}

type pendingFault struct {
	fault Fault
	left  int
}

// FailNext makes the next n requests to endpoint fail with f, after any
// failures already queued. It panics on an unknown endpoint name.
func (s *Server) FailNext(endpoint string, n int, f Fault) {
	if !slices.Contains(endpoints, endpoint) {
		panic(fmt.Sprintf("emulator: FailNext: unknown endpoint %q", endpoint))
	}
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[endpoint] = append(s.faults[endpoint], pendingFault{f, n})
}

// Calls returns how many requests endpoint has received, failed ones
// included.
func (s *Server) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// PendingFaults returns how many queued failures of endpoint have not fired.
func (s *Server) PendingFaults(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingLocked(endpoint)
}

func (s *Server) pendingLocked(endpoint string) int {
	n := 0
	for _, p := range s.faults[endpoint] {
		n += p.left
	}
	return n
}

// begin counts a request to endpoint and takes its next fault, if any.
func (s *Server) begin(endpoint string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[endpoint]++
	q := s.faults[endpoint]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0].fault
	if q[0].left--; q[0].left == 0 {
		s.faults[endpoint] = q[1:]
	}
	return f, true
}

// malformedBody is a truncated JSON document.
const malformedBody = `{"data":[{"access_tok`

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, endpoint string, f Fault) {
	s.log.Info("fault", logKeyEndpoint, endpoint, logKeyCode, f.Code, logKeySubcode, f.Subcode)
	switch {
	case f.Drop:
		drop(w)
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		drop(w)
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Write([]byte(malformedBody))
	case f.DropAfterBytes > 0:
		if endpoint == EndpointRupload {
			s.serveUpload(w, r, f.DropAfterBytes)
			return
		}
		drop(w)
	case f.DropAfter:
		s.handlers[endpoint](discard{header: make(http.Header)}, r)
		drop(w)
	case endpoint == EndpointRupload:
		s.writeUploadError(w, faultError(f))
	default:
		writeFaultError(w, endpoint, f)
	}
}

// faultError fills in f's defaults.
func faultError(f Fault) *apiError {
	e := &apiError{Status: f.Status, Type: f.Type, Code: f.Code, Subcode: f.Subcode,
		Message: f.Message, IsTransient: f.IsTransient}
	if e.Type == "" {
		e.Type = "OAuthException"
	}
	if e.Code == 0 {
		e.Code = 2
	}
	if e.Status == 0 {
		e.Status = statusFor(e.Code)
	}
	if e.Message == "" {
		e.Message = defaultMessage(e.Code, e.Subcode)
	}
	return e
}

// writeFaultError answers f in the endpoint's own error format.
func writeFaultError(w http.ResponseWriter, endpoint string, f Fault) {
	e := faultError(f)
	switch endpoint {
	case EndpointAuthorize:
		writeText(w, e.Status, e.Message)
	case EndpointAccessToken:
		// This envelope's code is the HTTP status unless one is given (§1.3).
		code := f.Code
		if code == 0 {
			code = e.Status
		}
		writeJSON(w, e.Status, igErrorBody{ErrorType: e.Type, Code: code, ErrorMessage: e.Message})
	default:
		writeGraphError(w, e)
	}
}

// defaultMessage is Meta's usual message for code (§3.1, §3.3, §4).
func defaultMessage(code, subcode int) string {
	switch code {
	case 1:
		return "An unknown error has occurred."
	case 2:
		return "An unexpected error has occurred. Please retry your request later."
	case 4:
		return "(#4) Application request limit reached"
	case 10:
		return "(#10) Application does not have permission for this action"
	case 17:
		return "(#17) User request limit reached"
	case 32:
		return "(#32) Page request limit reached"
	case 190:
		return revokeMessage(subcode)
	case 613:
		return "(#613) Calls to this api have exceeded the rate limit."
	case 80002:
		return msgAccountThrottled
	}
	return fmt.Sprintf("(#%d) Emulated failure", code)
}

// discard is a ResponseWriter that throws the answer away, for DropAfter.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // e.g. HTTP/2: abort the stream instead
	}
	conn.Close()
}
