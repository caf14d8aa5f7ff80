package igtoken_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/graph"
	"github.com/igtoken/igtoken/internal/seal"
	"github.com/igtoken/igtoken/sqlite"
)

// A program that calls the Graph API as a connected account asks the Manager
// for an HTTP client: it adds the stored token, and recovers it once if Meta
// answers error 190. Here the emulator stands in for Meta.
func ExampleManager_HTTPClient() {
	ctx := context.Background()
	meta := httptest.NewServer(emulator.New(emulator.Config{}))
	defer meta.Close()

	key, _ := seal.GenerateKey()
	keys, _ := seal.NewKeyring(key)
	store, _ := sqlite.Open(sqlite.Memory, keys)
	defer store.Close()
	m := igtoken.NewManager(store, &graph.Client{
		AppID: emulator.DefaultAppID, AppSecret: emulator.DefaultAppSecret, RedirectURI: emulator.DefaultRedirectURI,
		AuthURL: meta.URL, APIURL: meta.URL, GraphURL: meta.URL,
	})

	// The user opens m.AuthURL(state, scopes) and comes back to the redirect
	// URI with a code; Login takes the code or the whole redirect URL.
	res, err := m.Login(ctx, loginCode(meta.URL))
	if err != nil {
		fmt.Println(err)
		return
	}

	resp, err := m.HTTPClient(ctx, res.Account.ID).Get(meta.URL + "/me?fields=username")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var me struct{ Username string }
	json.NewDecoder(resp.Body).Decode(&me)
	fmt.Println(res.Account.Token.Kind, me.Username)
	// Output: long-lived user_1
}

// loginCode stands in for the user's consent: the emulator's authorize page
// consents at once and redirects with a code.
func loginCode(metaURL string) string {
	c := &graph.Client{AppID: emulator.DefaultAppID, RedirectURI: emulator.DefaultRedirectURI, AuthURL: metaURL}
	resp, err := noRedirect.Get(c.AuthCodeURL(igtoken.NewState(), []string{"instagram_business_basic"}))
	if err != nil {
		return ""
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
