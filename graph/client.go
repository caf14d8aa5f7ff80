// Package graph is a client for the Instagram API with Instagram Login: the
// OAuth authorize URL, the code exchange, the short-lived to long-lived token
// exchange, the long-lived token refresh, and GET /me.
//
// Facts about Meta's behaviour come from instagram-api.md in the project's
// shared reference; comments cite its sections (for example §1.3).
//
// Errors from Instagram are returned as *Error, network failures as
// *TransportError. Use IsTransient, NeedsReconnect and ReconnectReason to
// decide what to do with them. No error string ever contains a token or the
// app secret.
//
// The package uses only the standard library.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Default base URLs of the three Meta hosts used by Instagram Login (§0).
const (
	DefaultAuthURL  = "https://www.instagram.com"
	DefaultAPIURL   = "https://api.instagram.com"
	DefaultGraphURL = "https://graph.instagram.com"
)

// maxBodySize bounds how much of a response body is read.
const maxBodySize = 1 << 20

// defaultHTTPClient is used when Client.HTTPClient is nil.
var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

// Client calls the Instagram Login and Graph endpoints for one Instagram app.
// Its zero value is not usable: AppID, AppSecret and RedirectURI must be set.
// A Client is safe for concurrent use once configured.
type Client struct {
	AppID       string // Instagram app ID (not the Facebook app ID)
	AppSecret   string // Instagram app secret
	RedirectURI string // must exactly match a redirect URI registered for the app (§1.2)

	// Base URLs; empty means DefaultAuthURL, DefaultAPIURL, DefaultGraphURL.
	// Tests and the emulator point all three at the same server.
	AuthURL, APIURL, GraphURL string

	// Version is the Graph API version prefixed to /me, such as "v23.0".
	// Empty means unversioned paths, which Meta accepts.
	Version string

	// HTTPClient sends the requests. Nil means a client with a 30 s timeout.
	HTTPClient *http.Client

	lastUsage atomic.Pointer[Usage] // see LastUsage
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient
}

func (c *Client) authURL() string  { return baseURL(c.AuthURL, DefaultAuthURL) }
func (c *Client) apiURL() string   { return baseURL(c.APIURL, DefaultAPIURL) }
func (c *Client) graphURL() string { return baseURL(c.GraphURL, DefaultGraphURL) }

func baseURL(u, def string) string {
	if u == "" {
		u = def
	}
	return strings.TrimRight(u, "/")
}

// get sends a GET to rawURL with the query q and decodes the JSON answer into v.
// bearer, if not empty, is sent as "Authorization: Bearer".
func (c *Client) get(ctx context.Context, endpoint, rawURL string, q url.Values, bearer string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL+"?"+q.Encode(), nil)
	if err != nil {
		return requestError(endpoint, err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.send(req, endpoint, secretsOf(q, bearer), v)
}

// postForm sends form, URL-encoded, to rawURL and decodes the JSON answer into v.
func (c *Client) postForm(ctx context.Context, endpoint, rawURL string, form url.Values, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return requestError(endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(req, endpoint, secretsOf(form, ""), v)
}

// send performs req and decodes a successful JSON body into v. It returns
// *TransportError when no complete answer arrived, *Error when Instagram
// answered with an error, and an error wrapping ErrMalformedResponse when a
// 2xx body does not parse. secrets are scrubbed from every error text.
func (c *Client) send(req *http.Request, endpoint string, secrets []string, v any) error {
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return newTransportError(endpoint, err, secrets)
	}
	defer resp.Body.Close()
	c.recordUsage(resp.Header)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize))
	if err != nil {
		return newTransportError(endpoint, err, secrets)
	}
	if e := parseError(resp.StatusCode, body); e != nil {
		e.Endpoint = endpoint
		e.redact(secrets)
		return e
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &Error{
			StatusCode: resp.StatusCode,
			Endpoint:   endpoint,
			Message:    fmt.Sprintf("unexpected HTTP %d", resp.StatusCode),
		}
	}
	// The body of a successful token call holds a token: never quote it.
	if err := json.Unmarshal(body, v); err != nil {
		return malformed(endpoint, "invalid JSON")
	}
	return nil
}

// secretsOf lists the values that must never appear in an error text.
func secretsOf(v url.Values, bearer string) []string {
	s := []string{bearer}
	for _, k := range []string{"access_token", "client_secret", "code"} {
		s = append(s, v[k]...)
	}
	return s
}

// jsonID is an ID Meta sends as a JSON string or as a JSON number. Numbers are
// kept digit for digit: 17-digit IDs do not fit a float64 (§1.3).
type jsonID string

func (id *jsonID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*id = jsonID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*id = jsonID(n)
	return nil
}

// permissions is the granted scopes, which Meta sends as a comma-separated
// string or as a JSON array (§1.3).
type permissions []string

func (p *permissions) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return json.Unmarshal(b, (*[]string)(p))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*p = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*p = append(*p, v)
		}
	}
	return nil
}
