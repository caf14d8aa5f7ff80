package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/igtoken/igtoken/emulator"
)

const (
	appID       = emulator.DefaultAppID
	appSecret   = emulator.DefaultAppSecret
	redirectURI = emulator.DefaultRedirectURI
)

// env is an emulator behind a real HTTP server, and a client that does not
// follow redirects.
type env struct {
	emu    *emulator.Server
	url    string
	client *http.Client
}

// mustStart starts an emulator with cfg and stops it at cleanup.
func mustStart(tb testing.TB, cfg emulator.Config) *env {
	tb.Helper()
	emu := emulator.New(cfg)
	srv := httptest.NewServer(emu)
	tb.Cleanup(func() {
		emu.Close()
		srv.Close()
	})
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &env{emu: emu, url: srv.URL, client: client}
}

// response is a read HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(tb testing.TB, req *http.Request) response {
	tb.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read %s body: %v", req.URL.Path, err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// get sends GET path?query with optional header pairs ("Name", "value", …).
func (e *env) get(tb testing.TB, path string, query url.Values, header ...string) response {
	tb.Helper()
	req := newRequest(tb, http.MethodGet, e.url+path+"?"+query.Encode(), nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(tb, req)
}

// postForm sends an urlencoded POST.
func (e *env) postForm(tb testing.TB, path string, form url.Values) response {
	tb.Helper()
	req := newRequest(tb, http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(tb, req)
}

// postJSON sends a JSON POST to a control endpoint.
func (e *env) postJSON(tb testing.TB, path string, body any) response {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req := newRequest(tb, http.MethodPost, e.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return e.do(tb, req)
}

func newRequest(tb testing.TB, method, url string, body io.Reader) *http.Request {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// authorizeQuery is a valid authorize request.
func authorizeQuery(extra ...string) url.Values {
	q := url.Values{
		"client_id":     {appID},
		"redirect_uri":  {redirectURI},
		"response_type": {"code"},
		"scope":         {"instagram_business_basic,instagram_business_content_publish"},
		"state":         {"st-123"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

// exchangeForm is a valid code exchange request for code.
func exchangeForm(code string) url.Values {
	return url.Values{
		"client_id":     {appID},
		"client_secret": {appSecret},
		"grant_type":    {"authorization_code"},
		"redirect_uri":  {redirectURI},
		"code":          {code},
	}
}

// mustAuthorize logs in as username through /oauth/authorize and returns the
// redirect's code.
func mustAuthorize(tb testing.TB, e *env, username string) string {
	tb.Helper()
	resp := e.get(tb, "/oauth/authorize", authorizeQuery("emulator_user", username))
	if resp.status != http.StatusFound {
		tb.Fatalf("authorize: status %d, body %s", resp.status, resp.body)
	}
	loc, err := url.Parse(resp.header.Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	return loc.Query().Get("code")
}

// shortLived is the "data" shape of a code exchange.
type shortLived struct {
	Data []struct {
		AccessToken string `json:"access_token"`
		UserID      string `json:"user_id"`
		Permissions string `json:"permissions"`
	} `json:"data"`
}

// mustLogin runs authorize and the code exchange and returns the short-lived
// token.
func mustLogin(tb testing.TB, e *env, username string) string {
	tb.Helper()
	resp := e.postForm(tb, "/oauth/access_token", exchangeForm(mustAuthorize(tb, e, username)))
	var got shortLived
	mustDecode(tb, resp, http.StatusOK, &got)
	if len(got.Data) != 1 {
		tb.Fatalf("code exchange: %d data items, want 1", len(got.Data))
	}
	return got.Data[0].AccessToken
}

// longLivedResp is the ig_exchange_token and ig_refresh_token answer.
type longLivedResp struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// mustDecode checks the status and decodes the JSON body into v.
func mustDecode(tb testing.TB, resp response, status int, v any) {
	tb.Helper()
	if resp.status != status {
		tb.Fatalf("status %d, want %d; body %s", resp.status, status, resp.body)
	}
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("decode %s: %v", resp.body, err)
	}
}

// graphErr is the part of a Graph error (§3.1) that tests compare.
type graphErr struct {
	Status      int
	Type        string
	Code        int
	Subcode     int
	IsTransient bool
}

// mustGraphError decodes a Graph error envelope; it fails on any other body.
func mustGraphError(tb testing.TB, resp response) (graphErr, string) {
	tb.Helper()
	var body struct {
		Error *struct {
			Message     string `json:"message"`
			Type        string `json:"type"`
			Code        int    `json:"code"`
			Subcode     int    `json:"error_subcode"`
			TraceID     string `json:"fbtrace_id"`
			IsTransient bool   `json:"is_transient"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil || body.Error == nil || body.Error.TraceID == "" {
		tb.Fatalf("not a Graph error with fbtrace_id (status %d): %s", resp.status, resp.body)
	}
	x := body.Error
	return graphErr{resp.status, x.Type, x.Code, x.Subcode, x.IsTransient}, x.Message
}

// igErr is api.instagram.com's error envelope (§1.3).
type igErr struct {
	Status       int
	ErrorType    string `json:"error_type"`
	Code         int    `json:"code"`
	ErrorMessage string `json:"error_message"`
}

func mustIGError(tb testing.TB, resp response) igErr {
	tb.Helper()
	var got igErr
	if err := json.Unmarshal(resp.body, &got); err != nil || got.ErrorType == "" {
		tb.Fatalf("not an IG error envelope (status %d): %s", resp.status, resp.body)
	}
	got.Status = resp.status
	return got
}
