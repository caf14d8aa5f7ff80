package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Endpoint names used in errors. They name the path, never the URL.
const (
	endpointCodeExchange = "oauth/access_token"
	endpointExchange     = "access_token"
	endpointRefresh      = "refresh_access_token"
	endpointMe           = "me"
)

// ShortLivedToken is the answer of the code exchange: a token valid for one
// hour (§1.3).
type ShortLivedToken struct {
	AccessToken string
	UserID      string   // app-scoped (Instagram-scoped) user ID, not the IG account ID
	Permissions []string // granted scopes
}

// LongLivedToken is a 60-day token from ExchangeLongLived or RefreshLongLived.
type LongLivedToken struct {
	AccessToken string
	TokenType   string        // "bearer"
	ExpiresIn   time.Duration // lifetime from the time of the answer; 0 if Instagram sent none
}

// AuthCodeURL returns the Instagram consent page URL to send the user to.
// scopes are joined with commas (§1.1); state is echoed back to the redirect
// URI and should be an unguessable per-login value.
func (c *Client) AuthCodeURL(state string, scopes []string) string {
	q := url.Values{
		"client_id":     {c.AppID},
		"redirect_uri":  {c.RedirectURI},
		"response_type": {"code"},
	}
	if len(scopes) > 0 {
		q.Set("scope", strings.Join(scopes, ","))
	}
	if state != "" {
		q.Set("state", state)
	}
	return c.authURL() + "/oauth/authorize?" + q.Encode()
}

// ExchangeCode trades an authorization code for a short-lived token with
// POST {APIURL}/oauth/access_token (§1.3). A code is valid for one hour and
// only once; a used, expired or unknown code gives an *Error with Code 400.
// A trailing "#_" is stripped (§1.2); use ParseCode for whole redirect URLs.
func (c *Client) ExchangeCode(ctx context.Context, code string) (*ShortLivedToken, error) {
	code = strings.TrimSuffix(strings.TrimSpace(code), "#_")
	if code == "" {
		return nil, errors.New("instagram " + endpointCodeExchange + ": empty authorization code")
	}
	form := url.Values{
		"client_id":     {c.AppID},
		"client_secret": {c.AppSecret},
		"grant_type":    {"authorization_code"},
		"redirect_uri":  {c.RedirectURI},
		"code":          {code},
	}
	var resp codeExchangeResponse
	if err := c.postForm(ctx, endpointCodeExchange, c.apiURL()+"/oauth/access_token", form, &resp); err != nil {
		return nil, err
	}
	t := resp.token()
	if t.AccessToken == "" {
		return nil, malformed(endpointCodeExchange, "no access_token")
	}
	return &ShortLivedToken{AccessToken: t.AccessToken, UserID: string(t.UserID), Permissions: t.Permissions}, nil
}

// codeExchangeResponse accepts both shapes Meta sends for the code exchange
// (§1.3): the documented {"data":[{…}]} and the flat {…} most clients parse.
type codeExchangeResponse struct {
	Data []shortLivedJSON `json:"data"`
	shortLivedJSON
}

type shortLivedJSON struct {
	AccessToken string      `json:"access_token"`
	UserID      jsonID      `json:"user_id"`
	Permissions permissions `json:"permissions"`
}

func (r *codeExchangeResponse) token() shortLivedJSON {
	if len(r.Data) > 0 {
		return r.Data[0]
	}
	return r.shortLivedJSON
}

// ExchangeLongLived trades a valid short-lived token for a 60-day token with
// GET {GraphURL}/access_token?grant_type=ig_exchange_token (§1.4). The
// returned token is a new string. An expired short-lived token gives code 190
// subcode 463.
func (c *Client) ExchangeLongLived(ctx context.Context, shortLived string) (*LongLivedToken, error) {
	q := url.Values{
		"grant_type":    {"ig_exchange_token"},
		"client_secret": {c.AppSecret},
		"access_token":  {shortLived},
	}
	return c.longLived(ctx, endpointExchange, c.graphURL()+"/access_token", q)
}

// RefreshLongLived extends a long-lived token by 60 days from now with
// GET {GraphURL}/refresh_access_token?grant_type=ig_refresh_token (§1.5).
// Meta accepts only GET, and only a token at least 24 hours old that has not
// expired. Whether the returned string differs from longLived is not
// documented: always store the returned AccessToken.
func (c *Client) RefreshLongLived(ctx context.Context, longLived string) (*LongLivedToken, error) {
	q := url.Values{
		"grant_type":   {"ig_refresh_token"},
		"access_token": {longLived},
	}
	return c.longLived(ctx, endpointRefresh, c.graphURL()+"/refresh_access_token", q)
}

func (c *Client) longLived(ctx context.Context, endpoint, rawURL string, q url.Values) (*LongLivedToken, error) {
	var resp struct {
		AccessToken string      `json:"access_token"`
		TokenType   string      `json:"token_type"`
		ExpiresIn   json.Number `json:"expires_in"` // a number; a numeric string is accepted too
	}
	if err := c.get(ctx, endpoint, rawURL, q, "", &resp); err != nil {
		return nil, err
	}
	if resp.AccessToken == "" {
		return nil, malformed(endpoint, "no access_token")
	}
	secs, err := seconds(resp.ExpiresIn)
	if err != nil {
		return nil, malformed(endpoint, "bad expires_in")
	}
	return &LongLivedToken{AccessToken: resp.AccessToken, TokenType: resp.TokenType, ExpiresIn: secs}, nil
}

func seconds(n json.Number) (time.Duration, error) {
	if n == "" {
		return 0, nil
	}
	if i, err := n.Int64(); err == nil {
		return time.Duration(i) * time.Second, nil
	}
	f, err := n.Float64()
	return time.Duration(f * float64(time.Second)), err
}

// ParseCode extracts the authorization code from what a user pastes or a
// callback receives: the bare code, the code with Instagram's "#_" suffix, or
// the whole redirect URL (…?code=…&state=…#_). The "#_" is not part of the
// code (§1.2). The code's characters are not checked: real codes contain '*'
// and '!'. A redirect URL carrying error=access_denied returns ErrAccessDenied.
func ParseCode(input string) (string, error) {
	s, _, _ := strings.Cut(strings.TrimSpace(input), "#") // "#_" (§1.2)
	if !isRedirect(s) {
		if s == "" {
			return "", errors.New("graph: empty authorization code")
		}
		return s, nil
	}
	if _, query, ok := strings.Cut(s, "?"); ok {
		s = query
	}
	// ParseQuery's error is about a malformed pair; the others still count.
	q, _ := url.ParseQuery(s)
	if e := q.Get("error"); e != "" {
		return "", redirectError(e, q.Get("error_description"))
	}
	if code := q.Get("code"); code != "" {
		return code, nil
	}
	return "", errors.New("graph: no code parameter in the redirect URL")
}

// isRedirect tells a redirect URL or query string from a bare code, which
// may contain any character a URL query can carry unescaped but '?' and '&'.
func isRedirect(s string) bool {
	return strings.ContainsAny(s, "?&") || strings.Contains(s, "://") ||
		strings.HasPrefix(s, "code=") || strings.HasPrefix(s, "error=")
}

// redirectError reports the error Instagram put on the redirect URL (§1.2).
func redirectError(code, description string) error {
	if code == "access_denied" {
		return ErrAccessDenied
	}
	if description != "" {
		return fmt.Errorf("graph: authorization failed: %s: %s", code, description)
	}
	return fmt.Errorf("graph: authorization failed: %s", code)
}
