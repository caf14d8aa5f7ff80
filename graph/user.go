package graph

import (
	"context"
	"net/url"
	"strings"
)

// meFields are the fields Me asks for (§1.6).
const meFields = "id,user_id,username,name,account_type"

// User is the Instagram professional account a token belongs to.
type User struct {
	ID          string // app-scoped user ID (the code exchange's user_id)
	UserID      string // Instagram account ID (17 digits), used in /{ig-user-id} paths
	Username    string
	Name        string
	AccountType string // e.g. "BUSINESS"
}

// Me returns the account token belongs to, with GET {GraphURL}/{Version}/me
// (§1.6). It also validates the token: a bad, expired or revoked token gives
// an *Error for which NeedsReconnect is true. The token is sent in the
// Authorization header, not the URL.
func (c *Client) Me(ctx context.Context, token string) (*User, error) {
	var resp struct {
		ID          jsonID `json:"id"`
		UserID      jsonID `json:"user_id"`
		Username    string `json:"username"`
		Name        string `json:"name"`
		AccountType string `json:"account_type"`
	}
	q := url.Values{"fields": {meFields}}
	if err := c.get(ctx, endpointMe, c.graphURL()+c.versionPath()+"/me", q, token, &resp); err != nil {
		return nil, err
	}
	if resp.ID == "" && resp.UserID == "" {
		return nil, malformed(endpointMe, "no id")
	}
	return &User{ID: string(resp.ID), UserID: string(resp.UserID), Username: resp.Username,
		Name: resp.Name, AccountType: resp.AccountType}, nil
}

func (c *Client) versionPath() string {
	if v := strings.Trim(c.Version, "/"); v != "" {
		return "/" + v
	}
	return ""
}
