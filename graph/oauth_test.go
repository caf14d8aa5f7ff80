package graph_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/igtoken/igtoken/graph"
)

func TestParseCode(t *testing.T) {
	t.Parallel()
	const real = "wFPH5DePZMb07BPJvpWi-WotFlq1ISzFYQBDb9S9CBUQ*0!6410" // §1.2
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"Bare", "AQBx-abc", "AQBx-abc"},
		{"BareWithSuffix", "AQBx-abc#_", "AQBx-abc"},
		{"RealCharset", real + "#_", real},
		{"Spaces", "  AQBx-abc#_\n", "AQBx-abc"},
		{"RedirectURL", "https://example.com/cb?code=AQBx-abc&state=s1#_", "AQBx-abc"},
		{"RedirectURLEscaped", "https://example.com/cb?code=" + url.QueryEscape(real) + "#_", real},
		{"RedirectURLRaw", "https://example.com/cb?state=s&code=" + real + "#_", real},
		{"QueryOnly", "?code=AQBx-abc#_", "AQBx-abc"},
		{"QueryNoMark", "code=AQBx-abc&state=x", "AQBx-abc"},
		{"LocalhostCallback", "http://localhost:8080/callback?code=c0de&state=z#_", "c0de"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := graph.ParseCode(tt.input)
			if err != nil || got != tt.want {
				t.Errorf("ParseCode(%q) = %q, %v; want %q, nil", tt.input, got, err, tt.want)
			}
		})
	}
}

func TestParseCode_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		denied  bool
		message string
	}{
		{"Empty", "", false, "empty"},
		{"Blank", "  \n", false, "empty"},
		{"OnlySuffix", "#_", false, "empty"},
		{"Denied", "https://example.com/cb?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request&state=s#_", true, "the user denied the authorization request"},
		{"OtherError", "https://example.com/cb?error=server_error&error_description=Oops", false, "server_error: Oops"},
		{"NoCode", "https://example.com/cb?state=s", false, "no code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := graph.ParseCode(tt.input)
			if err == nil {
				t.Fatalf("ParseCode(%q) = %q, nil; want error", tt.input, got)
			}
			if errors.Is(err, graph.ErrAccessDenied) != tt.denied {
				t.Errorf("errors.Is(%v, ErrAccessDenied) = %v, want %v", err, !tt.denied, tt.denied)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("ParseCode(%q) error = %q, want it to contain %q", tt.input, err, tt.message)
			}
		})
	}
}

func TestClient_AuthCodeURL(t *testing.T) {
	t.Parallel()
	c := &graph.Client{AppID: "123", RedirectURI: "http://localhost:8080/callback", AuthURL: "http://auth.test/"}
	raw := c.AuthCodeURL("st4te", []string{"instagram_business_basic", "instagram_business_content_publish"})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, "http://auth.test/oauth/authorize"; got != want {
		t.Errorf("AuthCodeURL endpoint = %q, want %q", got, want)
	}
	want := url.Values{
		"client_id":     {"123"},
		"redirect_uri":  {"http://localhost:8080/callback"},
		"response_type": {"code"},
		"scope":         {"instagram_business_basic,instagram_business_content_publish"},
		"state":         {"st4te"},
	}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("AuthCodeURL query mismatch (-want +got):\n%s", diff)
	}
	if d := (&graph.Client{}).AuthCodeURL("", nil); !strings.HasPrefix(d, graph.DefaultAuthURL+"/oauth/authorize?") {
		t.Errorf("AuthCodeURL with default AuthURL = %q", d)
	}
}

// fixedServer answers every request with status and body, and records the last request.
func fixedServer(t *testing.T, status int, body string) (*graph.Client, *recorded) {
	t.Helper()
	rec := &recorded{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.set(r, string(b))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return &graph.Client{
		AppID: "1000000000000001", AppSecret: "s3cret-app-secret", RedirectURI: "http://localhost:8080/callback",
		AuthURL: srv.URL, APIURL: srv.URL, GraphURL: srv.URL,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	}, rec
}

func TestClient_ExchangeCode_Shapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want graph.ShortLivedToken
	}{
		{
			name: "DocDataCSV",
			body: `{"data":[{"access_token":"IGAAtok","user_id":"17841405793187218","permissions":"instagram_business_basic,instagram_business_content_publish"}]}`,
			want: graph.ShortLivedToken{AccessToken: "IGAAtok", UserID: "17841405793187218",
				Permissions: []string{"instagram_business_basic", "instagram_business_content_publish"}},
		},
		{
			name: "FlatNumberArray",
			body: `{"access_token":"IGAAtok","user_id":17841405793187218,"permissions":["instagram_business_basic"]}`,
			want: graph.ShortLivedToken{AccessToken: "IGAAtok", UserID: "17841405793187218",
				Permissions: []string{"instagram_business_basic"}},
		},
		{
			name: "FlatNoPermissions",
			body: `{"access_token":"IGQVJtok","user_id":17841405793187218}`,
			want: graph.ShortLivedToken{AccessToken: "IGQVJtok", UserID: "17841405793187218"},
		},
		{
			name: "DataNumberCSVSpaces",
			body: `{"data":[{"access_token":"IGAAtok","user_id":9007199254740993,"permissions":" a , b ,"}]}`,
			want: graph.ShortLivedToken{AccessToken: "IGAAtok", UserID: "9007199254740993", Permissions: []string{"a", "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := fixedServer(t, http.StatusOK, tt.body)
			got, err := c.ExchangeCode(t.Context(), "AQBcode#_")
			if err != nil {
				t.Fatalf("ExchangeCode: %v", err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("ExchangeCode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClient_ExchangeCode_Request(t *testing.T) {
	t.Parallel()
	c, rec := fixedServer(t, http.StatusOK, `{"access_token":"IGAAtok","user_id":1}`)
	if _, err := c.ExchangeCode(t.Context(), "AQB*0!6410#_"); err != nil {
		t.Fatal(err)
	}
	r, body := rec.get()
	if r.Method != http.MethodPost || r.URL.Path != "/oauth/access_token" {
		t.Errorf("request = %s %s, want POST /oauth/access_token", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
	form, _ := url.ParseQuery(body)
	want := url.Values{
		"client_id": {"1000000000000001"}, "client_secret": {"s3cret-app-secret"},
		"grant_type": {"authorization_code"}, "redirect_uri": {"http://localhost:8080/callback"},
		"code": {"AQB*0!6410"},
	}
	if diff := cmp.Diff(want, form); diff != "" {
		t.Errorf("form mismatch (-want +got):\n%s", diff)
	}
	if r.URL.RawQuery != "" {
		t.Errorf("code exchange sent a query %q; secrets belong in the body", r.URL.RawQuery)
	}
}

func TestClient_LongLived_Requests(t *testing.T) {
	t.Parallel()
	c, rec := fixedServer(t, http.StatusOK, `{"access_token":"IGAAlong","token_type":"bearer","expires_in":5183944}`)
	got, err := c.ExchangeLongLived(t.Context(), "IGAAshort")
	if err != nil {
		t.Fatal(err)
	}
	want := graph.LongLivedToken{AccessToken: "IGAAlong", TokenType: "bearer", ExpiresIn: 5183944 * time.Second}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("ExchangeLongLived mismatch (-want +got):\n%s", diff)
	}
	r, _ := rec.get()
	wantQ := url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {"s3cret-app-secret"}, "access_token": {"IGAAshort"}}
	if diff := cmp.Diff(wantQ, r.URL.Query()); diff != "" || r.Method != http.MethodGet || r.URL.Path != "/access_token" {
		t.Errorf("exchange request %s %s, query mismatch (-want +got):\n%s", r.Method, r.URL.Path, diff)
	}

	if _, err := c.RefreshLongLived(t.Context(), "IGAAlong"); err != nil {
		t.Fatal(err)
	}
	r, _ = rec.get()
	wantQ = url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {"IGAAlong"}}
	if diff := cmp.Diff(wantQ, r.URL.Query()); diff != "" || r.Method != http.MethodGet || r.URL.Path != "/refresh_access_token" {
		t.Errorf("refresh request %s %s (must be GET, §1.5), query mismatch (-want +got):\n%s", r.Method, r.URL.Path, diff)
	}
}

func TestClient_Me_Request(t *testing.T) {
	t.Parallel()
	c, rec := fixedServer(t, http.StatusOK,
		`{"id":1234567890123456,"user_id":"17841400000000001","username":"alice","name":"Alice","account_type":"BUSINESS"}`)
	c.Version = "v23.0"
	got, err := c.Me(t.Context(), "IGAAtoken")
	if err != nil {
		t.Fatal(err)
	}
	want := graph.User{ID: "1234567890123456", UserID: "17841400000000001", Username: "alice", Name: "Alice", AccountType: "BUSINESS"}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("Me mismatch (-want +got):\n%s", diff)
	}
	r, _ := rec.get()
	if r.URL.Path != "/v23.0/me" || r.URL.Query().Has("access_token") {
		t.Errorf("Me request = %s; want /v23.0/me without access_token in the URL", r.URL)
	}
	if h := r.Header.Get("Authorization"); h != "Bearer IGAAtoken" {
		t.Errorf("Authorization = %q, want Bearer", h)
	}
}
