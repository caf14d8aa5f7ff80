package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igtoken/igtoken/emulator"
)

// TestServer_Concurrent runs whole logins in parallel with latency: state
// stays consistent under -race, and latency sleeps overlap instead of
// queueing behind the lock.
func TestServer_Concurrent(t *testing.T) {
	t.Parallel()
	const workers = 200
	const latency = 50 * time.Millisecond
	e := mustStart(t, emulator.Config{Latency: latency})
	tr := e.client.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = workers

	start := time.Now()
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			username := fmt.Sprintf("u%03d", i)
			if err := loginFlow(t.Context(), e, username); err != nil {
				t.Errorf("%s: %v", username, err)
			}
			e.emu.Calls(emulator.EndpointMe) // reads race with writes
			e.emu.Users()
		})
	}
	wg.Wait()
	// 4 sequential requests per worker; serialised sleeps would take 40 s.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("%d concurrent logins took %v; latency sleeps seem serialised", workers, d)
	}
	for _, ep := range []string{emulator.EndpointAuthorize, emulator.EndpointAccessToken, emulator.EndpointIGExchangeToken, emulator.EndpointMe} {
		if got := e.emu.Calls(ep); got != workers {
			t.Errorf("Calls(%s) = %d, want %d", ep, got, workers)
		}
	}
	if got := len(e.emu.Users()); got != workers {
		t.Errorf("%d users, want %d", got, workers)
	}
}

// TestServer_ConcurrentRefresh refreshes one token from many goroutines while
// the clock moves and faults fire.
func TestServer_ConcurrentRefresh(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{RefreshRotates: true})
	token := e.emu.IssueToken("alice", true)
	e.emu.Advance(24 * time.Hour)
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 10, emulator.Fault{Code: 2})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			resp, err := e.client.Get(e.url + "/refresh_access_token?" + refreshQuery(token).Encode())
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			e.emu.Advance(time.Second)
			e.emu.TokenValid(token)
		})
	}
	wg.Wait()
	if got := e.emu.Calls(emulator.EndpointIGRefreshToken); got != 50 {
		t.Errorf("Calls = %d, want 50", got)
	}
	if got := e.emu.PendingFaults(emulator.EndpointIGRefreshToken); got != 0 {
		t.Errorf("PendingFaults = %d, want 0", got)
	}
}

// loginFlow logs in through authorize, the code exchange, the long-lived
// exchange and /me. Unlike the must helpers it may run outside the test's
// goroutine.
func loginFlow(ctx context.Context, e *env, username string) error {
	resp, _, err := e.send(ctx, http.MethodGet, "/oauth/authorize", authorizeQuery("emulator_user", username))
	if err != nil {
		return err
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	var short shortLived
	if err := e.sendJSON(ctx, http.MethodPost, "/oauth/access_token", exchangeForm(loc.Query().Get("code")), &short); err != nil {
		return err
	}
	if len(short.Data) != 1 {
		return fmt.Errorf("code exchange: %d data items", len(short.Data))
	}
	var long longLivedResp
	if err := e.sendJSON(ctx, http.MethodGet, "/access_token", exchangeQuery(short.Data[0].AccessToken), &long); err != nil {
		return err
	}
	var me map[string]string
	if err := e.sendJSON(ctx, http.MethodGet, "/me", url.Values{"access_token": {long.AccessToken}}, &me); err != nil {
		return err
	}
	if me["username"] != username {
		return fmt.Errorf("/me username = %q", me["username"])
	}
	return nil
}

// send sends params as the query (GET) or an urlencoded body (POST) and
// reads the whole answer.
func (e *env) send(ctx context.Context, method, path string, params url.Values) (*http.Response, []byte, error) {
	target, body := e.url+path+"?"+params.Encode(), io.Reader(nil)
	if method == http.MethodPost {
		target, body = e.url+path, strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// sendJSON is send for a 200 JSON answer decoded into v.
func (e *env) sendJSON(ctx context.Context, method, path string, params url.Values, v any) error {
	resp, body, err := e.send(ctx, method, path, params)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return json.Unmarshal(body, v)
}

func BenchmarkServer_Me(b *testing.B) {
	e := mustStart(b, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	q := url.Values{"access_token": {token}, "fields": {"user_id,username"}}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.get(b, "/me", q)
		}
	})
}
