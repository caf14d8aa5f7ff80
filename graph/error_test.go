package graph_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/igtoken/igtoken/graph"
)

func TestError_Decoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		body      string
		want      graph.Error
		text      string
		transient bool
		reconnect bool
		reason    string
	}{
		{
			name:   "Expired463",
			status: 400,
			body:   `{"error":{"message":"Error validating access token: Session has expired on Sunday, 31-May-20 10:12:48 PDT. The current time is Monday, 01-Jun-20 08:12:02 PDT.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC"}}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 190, Subcode: 463,
				Message: "Error validating access token: Session has expired on Sunday, 31-May-20 10:12:48 PDT. The current time is Monday, 01-Jun-20 08:12:02 PDT.", TraceID: "AbC"},
			text:      "instagram refresh_access_token: (code 190, subcode 463) Error validating access token: Session has expired",
			reconnect: true, reason: "the token expired",
		},
		{
			name:   "PasswordChanged460",
			status: 400,
			body:   `{"error":{"message":"Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.","type":"OAuthException","code":190,"error_subcode":460,"error_user_title":"T","error_user_msg":"M","fbtrace_id":"x"}}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 190, Subcode: 460,
				Message:   "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
				UserTitle: "T", UserMessage: "M", TraceID: "x"},
			text:      "instagram refresh_access_token: (code 190, subcode 460) Error validating access token: The session",
			reconnect: true, reason: "the user changed their password (or Meta reset the session)",
		},
		{
			name:      "CannotParse190",
			status:    400,
			body:      `{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190,"fbtrace_id":"x"}}`,
			want:      graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 190, Message: "Invalid OAuth access token - Cannot parse access token", TraceID: "x"},
			text:      "instagram refresh_access_token: (code 190) Invalid OAuth access token",
			reconnect: true, reason: "Invalid OAuth access token - Cannot parse access token",
		},
		{
			name: "TransientFlagOn190", status: 400,
			body:      `{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":458,"is_transient":true}}`,
			want:      graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 190, Subcode: 458, Message: "Error validating access token", IsTransient: true},
			text:      "(code 190, subcode 458)",
			reconnect: true, reason: "the user removed the app",
		},
		{
			name: "Throttled4", status: 403,
			body:      `{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","is_transient":true,"code":4,"fbtrace_id":"f"}}`,
			want:      graph.Error{StatusCode: 403, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 4, Message: "(#4) Application request limit reached", TraceID: "f", IsTransient: true},
			text:      "instagram refresh_access_token: (code 4) (#4) Application request limit reached",
			transient: true,
		},
		{
			name: "Unknown1NoFlag", status: 500,
			body: `{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1}}`,
			want: graph.Error{StatusCode: 500, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 1, Message: "An unknown error occurred"},
			text: "(code 1)", transient: true,
		},
		{
			name: "BUC80002", status: 400,
			body: `{"error":{"message":"(#80002) There have been too many calls","type":"OAuthException","code":80002}}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 80002, Message: "(#80002) There have been too many calls"},
			text: "(code 80002)", transient: true,
		},
		{
			name: "Permission10", status: 400,
			body:      `{"error":{"message":"(#10) Permission denied","type":"OAuthException","code":10}}`,
			want:      graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 10, Message: "(#10) Permission denied"},
			text:      "(code 10)",
			reconnect: true, reason: "a permission was removed",
		},
		{
			name: "MessagingWindow10", status: 400,
			body: `{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2534022}}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 10, Subcode: 2534022, Message: "(#10) This message is sent outside of allowed window."},
			text: "(code 10, subcode 2534022)",
		},
		{
			name: "Permission200", status: 400,
			body:      `{"error":{"message":"(#200) Requires instagram_content_publish permission","type":"OAuthException","code":200}}`,
			want:      graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 200, Message: "(#200) Requires instagram_content_publish permission"},
			text:      "(code 200)",
			reconnect: true, reason: "a permission was removed",
		},
		{
			name: "TooNew100", status: 400,
			body: `{"error":{"message":"(#100) The access token is too new to be refreshed","type":"OAuthException","code":100}}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 100, Message: "(#100) The access token is too new to be refreshed"},
			text: "instagram refresh_access_token: (code 100) (#100) The access token is too new",
		},
		{
			name: "IGEnvelope", status: 400,
			body: `{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 400, Message: "Matching code was not found or was already used"},
			text: "instagram refresh_access_token: (code 400) Matching code was not found or was already used",
		},
		{
			name: "IGEnvelope503", status: 503,
			body:      `{"error_type":"OAuthException","code":503,"error_message":"Service unavailable"}`,
			want:      graph.Error{StatusCode: 503, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 503, Message: "Service unavailable"},
			text:      "(code 503) Service unavailable",
			transient: true,
		},
		{
			name: "DuplicatePost506", status: 400,
			body: `{"error":{"message":"Duplicate post","type":"OAuthException","code":506}}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "OAuthException", Code: 506, Message: "Duplicate post"},
			text: "(code 506) Duplicate post",
		},
		{
			name: "OAuth2StringError", status: 400,
			body: `{"error":"invalid_request","error_description":"Missing code"}`,
			want: graph.Error{StatusCode: 400, Endpoint: "refresh_access_token", Type: "invalid_request", Message: "Missing code"},
			text: "instagram refresh_access_token: Missing code",
		},
		{
			name: "BadGatewayHTML", status: 502,
			body:      `<html><body>Bad Gateway IGAAsecret</body></html>`,
			want:      graph.Error{StatusCode: 502, Endpoint: "refresh_access_token", Message: "unexpected HTTP 502"},
			text:      "instagram refresh_access_token: unexpected HTTP 502",
			transient: true,
		},
		{
			name: "TooManyRequestsEmpty", status: 429, body: ``,
			want: graph.Error{StatusCode: 429, Endpoint: "refresh_access_token", Message: "unexpected HTTP 429"},
			text: "unexpected HTTP 429", transient: true,
		},
		{
			name: "NotFoundText", status: 404, body: `404 page not found`,
			want: graph.Error{StatusCode: 404, Endpoint: "refresh_access_token", Message: "unexpected HTTP 404"},
			text: "instagram refresh_access_token: unexpected HTTP 404",
		},
		{
			name: "EnvelopeOn200", status: 200,
			body: `{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100}}`,
			want: graph.Error{StatusCode: 200, Endpoint: "refresh_access_token", Type: "GraphMethodException", Code: 100, Message: "Unsupported get request."},
			text: "(code 100) Unsupported get request.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := fixedServer(t, tt.status, tt.body)
			_, err := c.RefreshLongLived(t.Context(), "IGAAlong-lived-token")
			var ge *graph.Error
			if !errors.As(err, &ge) {
				t.Fatalf("RefreshLongLived error = %#v, want *graph.Error", err)
			}
			if diff := cmp.Diff(tt.want, *ge); diff != "" {
				t.Errorf("Error mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Error() = %q, want it to contain %q", err, tt.text)
			}
			checkClass(t, err, tt.transient, tt.reconnect, tt.reason)
		})
	}
}

func checkClass(t *testing.T, err error, transient, reconnect bool, reason string) {
	t.Helper()
	if got := graph.IsTransient(err); got != transient {
		t.Errorf("IsTransient(%v) = %v, want %v", err, got, transient)
	}
	if got := graph.NeedsReconnect(err); got != reconnect {
		t.Errorf("NeedsReconnect(%v) = %v, want %v", err, got, reconnect)
	}
	if got := graph.ReconnectReason(err); got != reason {
		t.Errorf("ReconnectReason(%v) = %q, want %q", err, got, reason)
	}
}

func TestClassification(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("refresh account 7: %w", &graph.Error{Code: 190, Subcode: 464})
	tests := []struct {
		name      string
		err       error
		transient bool
		reconnect bool
		reason    string
	}{
		{"Nil", nil, false, false, ""},
		{"Plain", errors.New("boom"), false, false, ""},
		{"Wrapped464", wrapped, false, true, "the user must confirm their account on Instagram"},
		{"Checkpoint459", &graph.Error{Code: 190, Subcode: 459}, false, true, "the user must log in on Instagram to clear a checkpoint"},
		{"Invalid467", &graph.Error{Code: 190, Subcode: 467}, false, true, "the token is invalid"},
		{"Code102", &graph.Error{Code: 102, Message: "Session key invalid"}, false, true, "Session key invalid"},
		{"Code190NoMessage", &graph.Error{Code: 190}, false, true, "the token is no longer valid"},
		{"Code299", &graph.Error{Code: 299}, false, true, "a permission was removed"},
		{"Code300", &graph.Error{Code: 300, Message: "x"}, false, false, ""},
		{"Code2", &graph.Error{Code: 2}, true, false, ""},
		{"Code17", &graph.Error{Code: 17}, true, false, ""},
		{"Code32", &graph.Error{Code: 32}, true, false, ""},
		{"Code341", &graph.Error{Code: 341}, true, false, ""},
		{"Code613", &graph.Error{Code: 613, Subcode: 1996}, true, false, ""},
		{"Code80000", &graph.Error{Code: 80000}, true, false, ""},
		{"Code80014", &graph.Error{Code: 80014}, true, false, ""},
		{"Code80015", &graph.Error{Code: 80015, Message: "x"}, false, false, ""},
		{"Code100On500", &graph.Error{StatusCode: 500, Code: 100, Message: "x"}, false, false, ""},
		{"Bare503", &graph.Error{StatusCode: 503}, true, false, ""},
		{"Transport", &graph.TransportError{Endpoint: "me", Err: io.EOF}, true, false, ""},
		{"Deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true, false, ""},
		{"Malformed", fmt.Errorf("instagram me: %w", graph.ErrMalformedResponse), true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkClass(t, tt.err, tt.transient, tt.reconnect, tt.reason)
		})
	}
}

func TestError_ErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *graph.Error
		want string
	}{
		{&graph.Error{Endpoint: "me", Code: 190, Subcode: 460, Message: "Error validating access token: x"},
			"instagram me: (code 190, subcode 460) Error validating access token: x"},
		{&graph.Error{Endpoint: "oauth/access_token", Code: 400, Message: "Invalid client secret"},
			"instagram oauth/access_token: (code 400) Invalid client secret"},
		{&graph.Error{StatusCode: 503}, "instagram: HTTP 503"},
		{&graph.Error{Code: 4, Type: "OAuthException"}, "instagram: (code 4) OAuthException"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestClient_Malformed2xx(t *testing.T) {
	t.Parallel()
	const token = "IGAAsecretlonglivedtoken0123456789"
	bodies := map[string]string{
		"Truncated":     `{"access_token":"` + token + `","token_ty`,
		"NotJSON":       `<html>` + token,
		"NoToken":       `{"token_type":"bearer","expires_in":5184000}`,
		"BadExpiresIn":  `{"access_token":"` + token + `","expires_in":"soon"}`,
		"WrongTypeOfID": `{"access_token":"` + token + `","expires_in":true}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := fixedServer(t, http.StatusOK, body)
			_, err := c.RefreshLongLived(t.Context(), "IGAAinputtoken-abcdefgh")
			if !errors.Is(err, graph.ErrMalformedResponse) {
				t.Fatalf("RefreshLongLived error = %v, want ErrMalformedResponse", err)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "IGAAinputtoken") {
				t.Errorf("error %q leaks a token", err)
			}
			checkClass(t, err, true, false, "")
		})
	}
}

func TestClient_TokenRedactedFromMetaMessage(t *testing.T) {
	t.Parallel()
	const token = "EAAB-malformed-token-value-0123456789"
	c, _ := fixedServer(t, 400,
		`{"error":{"message":"Malformed access token `+token+`","type":"OAuthException","code":190,"error_user_msg":"`+url.QueryEscape(token)+`"}}`)
	_, err := c.RefreshLongLived(t.Context(), token)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("error %q leaks the token", err)
	}
	var ge *graph.Error
	if !errors.As(err, &ge) || strings.Contains(ge.Message+ge.UserMessage, "malformed-token") {
		t.Errorf("Error fields leak the token: %+v", ge)
	}
}

func TestClient_TransportErrors(t *testing.T) {
	t.Parallel()
	const token = "IGAAtransporttoken0123456789abcdef"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)

	t.Run("ConnectionRefused", func(t *testing.T) {
		c := &graph.Client{GraphURL: closedURL, AppSecret: "app-secret-value"}
		_, err := c.ExchangeLongLived(t.Context(), token)
		checkTransport(t, err, token)
	})
	t.Run("ContextDeadline", func(t *testing.T) {
		c := &graph.Client{GraphURL: hang.URL}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.RefreshLongLived(ctx, token)
		checkTransport(t, err, token)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
		}
	})
	t.Run("ClientTimeout", func(t *testing.T) {
		c := &graph.Client{GraphURL: hang.URL, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}}
		_, err := c.Me(t.Context(), token)
		checkTransport(t, err, token)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("errors.As(%v, net.Error) with Timeout() = false", err)
		}
	})
}

func checkTransport(t *testing.T, err error, token string) {
	t.Helper()
	var te *graph.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error = %#v, want *graph.TransportError", err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		t.Errorf("error chain still holds *url.Error (it prints the URL): %v", err)
	}
	if strings.Contains(err.Error(), token) || strings.ContainsAny(err.Error(), "?=") {
		t.Errorf("error %q leaks the URL or token", err)
	}
	if !graph.IsTransient(err) {
		t.Errorf("IsTransient(%v) = false", err)
	}
}

func TestClient_BadBaseURL(t *testing.T) {
	t.Parallel()
	const token = "IGAAbadbaseurltoken0123456789"
	c := &graph.Client{GraphURL: "http://[::1"}
	_, err := c.RefreshLongLived(t.Context(), token)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("RefreshLongLived with a bad base URL = %v; want an error without the token", err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		t.Errorf("error chain still holds *url.Error: %v", err)
	}
}

func TestIsBadAppSecret(t *testing.T) {
	bad := &graph.Error{StatusCode: 400, Type: "OAuthException", Code: 1, Message: "Error validating client secret."}
	if !graph.IsBadAppSecret(bad) || graph.IsTransient(bad) {
		t.Errorf("wrong secret: IsBadAppSecret=%v IsTransient=%v, want true, false", graph.IsBadAppSecret(bad), graph.IsTransient(bad))
	}
	unknown := &graph.Error{StatusCode: 500, Type: "OAuthException", Code: 1, Message: "An unknown error occurred"}
	if graph.IsBadAppSecret(unknown) || !graph.IsTransient(unknown) {
		t.Error("code 1 without the secret message must stay transient")
	}
}

func TestParseError(t *testing.T) {
	body := []byte(`{"error":{"message":"Error validating access token: IGAAsecret1234 is bad","type":"OAuthException","code":190,"error_subcode":460,"fbtrace_id":"x"}}`)
	e := graph.ParseError("me/messages", 400, body, "IGAAsecret1234")
	if e == nil || e.Code != 190 || e.Subcode != 460 || e.Endpoint != "me/messages" || !graph.NeedsReconnect(e) {
		t.Fatalf("ParseError = %+v", e)
	}
	if strings.Contains(e.Error(), "IGAAsecret1234") {
		t.Errorf("secret not scrubbed: %s", e.Error())
	}
	if graph.ParseError("me", 200, []byte(`{"id":"1"}`)) != nil {
		t.Error("a success body parsed as an error")
	}
}

func TestIsThrottled(t *testing.T) {
	for code, want := range map[int]bool{4: true, 17: true, 32: true, 613: true, 80002: true, 80014: true, 190: false, 1: false, 80015: false} {
		if got := graph.IsThrottled(&graph.Error{Code: code}); got != want {
			t.Errorf("IsThrottled(code %d) = %v, want %v", code, got, want)
		}
	}
	if graph.IsThrottled(nil) || graph.Code(nil) != 0 {
		t.Error("nil error classified as throttled")
	}
}
