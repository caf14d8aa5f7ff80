package emulator_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

func TestServer_Authorize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		path      string
		query     url.Values
		wantQuery url.Values // of the redirect, with "code" checked apart
		wantFrag  string
	}{
		{
			name:      "OK",
			path:      "/oauth/authorize",
			query:     authorizeQuery(),
			wantQuery: url.Values{"state": {"st-123"}},
			wantFrag:  "_",
		},
		{
			name:      "VersionPrefixAndNoState",
			path:      "/v23.0/oauth/authorize",
			query:     authorizeQuery("state", ""),
			wantQuery: url.Values{},
			wantFrag:  "_",
		},
		{
			name:      "SpaceSeparatedScopes",
			path:      "/oauth/authorize",
			query:     authorizeQuery("scope", "instagram_business_basic instagram_business_manage_messages"),
			wantQuery: url.Values{"state": {"st-123"}},
			wantFrag:  "_",
		},
		{
			name:  "Deny",
			path:  "/oauth/authorize",
			query: authorizeQuery("emulator_deny", "1"),
			wantQuery: url.Values{
				"error":             {"access_denied"},
				"error_reason":      {"user_denied"},
				"error_description": {"The user denied your request"},
				"state":             {"st-123"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			resp := e.get(t, tt.path, tt.query)
			if resp.status != http.StatusFound {
				t.Fatalf("status = %d, want 302; body %s", resp.status, resp.body)
			}
			loc, err := url.Parse(resp.header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
				t.Errorf("redirect to %q, want %q", got, redirectURI)
			}
			q := loc.Query()
			code := q.Get("code")
			q.Del("code")
			if diff := cmp.Diff(tt.wantQuery, q); diff != "" {
				t.Errorf("redirect query mismatch (-want +got):\n%s", diff)
			}
			if loc.Fragment != tt.wantFrag {
				t.Errorf("fragment = %q, want %q", loc.Fragment, tt.wantFrag)
			}
			if wantCode := tt.wantFrag == "_"; (code != "") != wantCode {
				t.Errorf("code present = %v, want %v", code != "", wantCode)
			}
		})
	}
}

func TestServer_AuthorizeRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query url.Values
		want  string
	}{
		{"BadClientID", authorizeQuery("client_id", "42"), "Invalid platform app"},
		{"UnregisteredRedirect", authorizeQuery("redirect_uri", "http://evil.example/cb"), "redirect_uri"},
		{"TrailingSlash", authorizeQuery("redirect_uri", redirectURI+"/"), "redirect_uri"},
		{"ResponseTypeToken", authorizeQuery("response_type", "token"), "response_type"},
		{"BasicDisplayScopes", authorizeQuery("scope", "user_profile,user_media"), "Invalid Scopes: user_profile, user_media"},
	}
	e := mustStart(t, emulator.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.get(t, "/oauth/authorize", tt.query)
			if resp.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", resp.status)
			}
			if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
			if !strings.Contains(string(resp.body), tt.want) {
				t.Errorf("body %q does not explain %q", resp.body, tt.want)
			}
		})
	}
	if users := e.emu.Users(); len(users) != 0 {
		t.Errorf("refused requests created users: %v", users)
	}
}

func TestServer_AuthorizeUsers(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	mustAuthorize(t, e, "")
	mustAuthorize(t, e, "")
	mustAuthorize(t, e, "alice")
	mustAuthorize(t, e, "alice")
	var names []string
	for _, u := range e.emu.Users() {
		names = append(names, u.Username)
		if len(u.InstagramID) != 17 || !strings.HasPrefix(u.InstagramID, "1784") {
			t.Errorf("%s: InstagramID %q, want 17 digits starting 1784", u.Username, u.InstagramID)
		}
		if len(u.AppScopedID) != 17 || u.AppScopedID == u.InstagramID {
			t.Errorf("%s: AppScopedID %q, want 17 digits unlike InstagramID", u.Username, u.AppScopedID)
		}
	}
	if diff := cmp.Diff([]string{"alice", "user_1", "user_2"}, names); diff != "" {
		t.Errorf("users mismatch (-want +got):\n%s", diff)
	}
	if got := e.emu.Calls(emulator.EndpointAuthorize); got != 4 {
		t.Errorf("Calls(authorize) = %d, want 4", got)
	}
}

func TestServer_CodeExchangeErrors(t *testing.T) {
	t.Parallel()
	const noMatch = "Matching code was not found or was already used"
	const badRedirect = "Redirect URI does not match registered redirect URI"
	tests := []struct {
		name    string
		advance time.Duration
		edit    func(f url.Values)
		want    string // "" = success
	}{
		{name: "OK"},
		{name: "AlmostExpired", advance: 59 * time.Minute},
		{name: "Expired", advance: time.Hour, want: noMatch},
		{name: "UnknownCode", edit: func(f url.Values) { f.Set("code", "nope*0!1234") }, want: noMatch},
		{name: "MissingCode", edit: func(f url.Values) { f.Del("code") }, want: noMatch},
		{name: "CodeWithFragment", edit: func(f url.Values) { f.Set("code", f.Get("code")+"#_") }, want: noMatch},
		{name: "WrongSecret", edit: func(f url.Values) { f.Set("client_secret", "x") }, want: "Invalid client secret"},
		{name: "WrongClientID", edit: func(f url.Values) { f.Set("client_id", "1") }, want: "Invalid platform app"},
		{name: "UnregisteredRedirect", edit: func(f url.Values) { f.Set("redirect_uri", "http://x/cb") }, want: badRedirect},
		{name: "OtherRegisteredRedirect", edit: func(f url.Values) { f.Set("redirect_uri", "http://localhost:9/cb") }, want: badRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{RedirectURIs: []string{redirectURI, "http://localhost:9/cb"}})
			form := exchangeForm(e.emu.IssueCode("alice", redirectURI))
			if tt.edit != nil {
				tt.edit(form)
			}
			e.emu.Advance(tt.advance)
			resp := e.postForm(t, "/oauth/access_token", form)
			if tt.want == "" {
				var got shortLived
				mustDecode(t, resp, http.StatusOK, &got)
				return
			}
			want := igErr{Status: 400, ErrorType: "OAuthException", Code: 400, ErrorMessage: tt.want}
			if diff := cmp.Diff(want, mustIGError(t, resp)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServer_CodeSingleUse(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	form := exchangeForm(mustAuthorize(t, e, "alice"))
	var first shortLived
	mustDecode(t, e.postForm(t, "/oauth/access_token", form), http.StatusOK, &first)
	got := mustIGError(t, e.postForm(t, "/oauth/access_token", form))
	if got.ErrorMessage != "Matching code was not found or was already used" {
		t.Errorf("second exchange: %+v, want the used-code error", got)
	}
	if !e.emu.TokenValid(first.Data[0].AccessToken) {
		t.Error("first token is not valid after the failed reuse")
	}
}

func TestServer_CodeExchangeShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		shape     string
		multipart bool
	}{
		{"DataForm", "", false},
		{"DataMultipart", emulator.ShapeData, true},
		{"FlatForm", emulator.ShapeFlat, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{ExchangeShape: tt.shape})
			code := mustAuthorize(t, e, "alice")
			alice, _ := e.emu.User("alice")
			var resp response
			if tt.multipart {
				resp = e.postMultipart(t, "/oauth/access_token", exchangeForm(code))
			} else {
				resp = e.postForm(t, "/oauth/access_token", exchangeForm(code))
			}
			token, userID, perms := decodeExchange(t, resp, tt.shape == emulator.ShapeFlat)
			if !strings.HasPrefix(token, "IGAA") || len(token) != 154 || !e.emu.TokenValid(token) {
				t.Errorf("token: IGAA prefix %v, length %d, valid %v", strings.HasPrefix(token, "IGAA"), len(token), e.emu.TokenValid(token))
			}
			if userID != alice.AppScopedID {
				t.Errorf("user_id = %s, want app-scoped id %s", userID, alice.AppScopedID)
			}
			want := []string{"instagram_business_basic", "instagram_business_content_publish"}
			if diff := cmp.Diff(want, perms); diff != "" {
				t.Errorf("permissions mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// decodeExchange reads either code-exchange shape (§1.3). In the flat shape
// user_id must be a JSON number.
func decodeExchange(tb testing.TB, resp response, flat bool) (token, userID string, perms []string) {
	tb.Helper()
	if !flat {
		var got shortLived
		mustDecode(tb, resp, http.StatusOK, &got)
		if len(got.Data) != 1 {
			tb.Fatalf("data has %d items, want 1", len(got.Data))
		}
		d := got.Data[0]
		return d.AccessToken, d.UserID, strings.Split(d.Permissions, ",")
	}
	var got struct {
		AccessToken string   `json:"access_token"`
		UserID      any      `json:"user_id"`
		Permissions []string `json:"permissions"`
	}
	mustDecode(tb, resp, http.StatusOK, &got)
	n, ok := got.UserID.(json.Number)
	if !ok {
		tb.Fatalf("flat user_id is %T, want a JSON number: %s", got.UserID, resp.body)
	}
	return got.AccessToken, n.String(), got.Permissions
}

// postMultipart sends form as multipart/form-data, as curl -F does (§1.3).
func (e *env) postMultipart(tb testing.TB, path string, form url.Values) response {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	req := newRequest(tb, http.MethodPost, e.url+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(tb, req)
}

func TestServer_CodeExchangeMethod(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	got := mustIGError(t, e.get(t, "/oauth/access_token", exchangeForm(e.emu.IssueCode("a", redirectURI))))
	if got.Status != http.StatusBadRequest || !strings.Contains(got.ErrorMessage, "method type: get") {
		t.Errorf("GET code exchange = %+v, want 400 unsupported method", got)
	}
}
