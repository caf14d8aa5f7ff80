package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/graph"
)

// This example walks through Instagram Login against the emulator: the user
// consents, the callback receives the code, the code becomes a short-lived
// token, then a 60-day token, which identifies the account with /me.
func Example() {
	emu := emulator.New(emulator.Config{AppID: "1000000000000001", AppSecret: "app-secret",
		RedirectURIs: []string{"http://localhost:8080/callback"}})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	defer emu.Close()

	c := &graph.Client{
		AppID:       "1000000000000001",
		AppSecret:   "app-secret",
		RedirectURI: "http://localhost:8080/callback",
		AuthURL:     srv.URL, APIURL: srv.URL, GraphURL: srv.URL, // omit for the real Meta hosts
	}
	ctx := context.Background()

	// Send the user to the consent page. The emulator consents at once, as
	// "alice", and redirects to the callback with ?code=…&state=…#_.
	consent := c.AuthCodeURL("random-state", []string{"instagram_business_basic"})
	callback := followOnce(consent + "&emulator_user=alice")

	code, err := graph.ParseCode(callback)
	if err != nil {
		fmt.Println(err)
		return
	}
	short, err := c.ExchangeCode(ctx, code)
	if err != nil {
		fmt.Println(err)
		return
	}
	long, err := c.ExchangeLongLived(ctx, short.AccessToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	me, err := c.Me(ctx, long.AccessToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("permissions:", short.Permissions)
	fmt.Println("long-lived for", long.ExpiresIn.Round(24*time.Hour))
	fmt.Println("logged in as", me.Username, me.AccountType)
	// Output:
	// permissions: [instagram_business_basic]
	// long-lived for 1440h0m0s
	// logged in as alice BUSINESS
}

// followOnce returns where rawURL redirects, as a browser would see it.
func followOnce(rawURL string) string {
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(rawURL)
	if err != nil {
		return err.Error()
	}
	resp.Body.Close()
	return strings.TrimSpace(resp.Header.Get("Location"))
}

// This example sorts the errors a token call can return.
func ExampleNeedsReconnect() {
	err := error(&graph.Error{Endpoint: "refresh_access_token", Code: 190, Subcode: 460,
		Message: "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."})
	switch {
	case graph.NeedsReconnect(err):
		fmt.Println("reconnect:", graph.ReconnectReason(err))
	case graph.IsTransient(err):
		fmt.Println("retry later")
	default:
		fmt.Println("failed:", err)
	}
	// Output: reconnect: the user changed their password (or Meta reset the session)
}
