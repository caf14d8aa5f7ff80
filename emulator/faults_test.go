package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

func TestServer_FailNextGraphErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   emulator.Fault
		want    graphErr
		wantMsg string
	}{
		{
			name:    "Default",
			want:    graphErr{Status: 500, Type: "OAuthException", Code: 2},
			wantMsg: "An unexpected error has occurred. Please retry your request later.",
		},
		{
			name:    "Transient",
			fault:   emulator.Fault{Code: 2, IsTransient: true},
			want:    graphErr{Status: 500, Type: "OAuthException", Code: 2, IsTransient: true},
			wantMsg: "An unexpected error has occurred. Please retry your request later.",
		},
		{
			name:    "RateLimit",
			fault:   emulator.Fault{Code: 4, IsTransient: true},
			want:    graphErr{Status: 403, Type: "OAuthException", Code: 4, IsTransient: true},
			wantMsg: "(#4) Application request limit reached",
		},
		{
			name:    "Token190",
			fault:   emulator.Fault{Code: 190, Subcode: 460},
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 460},
			wantMsg: "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
		},
		{
			name:    "Everything",
			fault:   emulator.Fault{Status: 503, Type: "GraphMethodException", Code: 10, Subcode: 2534022, Message: "custom"},
			want:    graphErr{Status: 503, Type: "GraphMethodException", Code: 10, Subcode: 2534022},
			wantMsg: "custom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			token := e.emu.IssueToken("alice", true)
			e.emu.FailNext(emulator.EndpointMe, 1, tt.fault)
			got, msg := mustGraphError(t, e.get(t, "/me", url.Values{"access_token": {token}}))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fault mismatch (-want +got):\n%s", diff)
			}
			if msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			mustDecode(t, e.get(t, "/me", url.Values{"access_token": {token}}), http.StatusOK, &map[string]string{})
		})
	}
}

func TestServer_FailNextEnvelopes(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	fault := emulator.Fault{Status: 503, Message: "down"}

	e.emu.FailNext(emulator.EndpointAccessToken, 1, fault)
	got := mustIGError(t, e.postForm(t, "/oauth/access_token", exchangeForm(e.emu.IssueCode("a", redirectURI))))
	want := igErr{Status: 503, ErrorType: "OAuthException", Code: 503, ErrorMessage: "down"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access_token fault mismatch (-want +got):\n%s", diff)
	}

	e.emu.FailNext(emulator.EndpointAuthorize, 1, fault)
	resp := e.get(t, "/oauth/authorize", authorizeQuery())
	if resp.status != 503 || strings.TrimSpace(string(resp.body)) != "down" {
		t.Errorf("authorize fault = %d %q, want 503 down", resp.status, resp.body)
	}

	for _, ep := range []struct{ name, path string }{
		{emulator.EndpointIGExchangeToken, "/access_token"},
		{emulator.EndpointIGRefreshToken, "/refresh_access_token"},
	} {
		e.emu.FailNext(ep.name, 1, fault)
		if got, msg := mustGraphError(t, e.get(t, ep.path, nil)); got.Status != 503 || msg != "down" {
			t.Errorf("%s fault = %+v %q, want 503 down", ep.name, got, msg)
		}
	}
}

func TestServer_FailNextCounts(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	e.emu.FailNext(emulator.EndpointMe, 2, emulator.Fault{Code: 2})
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Code: 4})
	if got := e.emu.PendingFaults(emulator.EndpointMe); got != 3 {
		t.Errorf("PendingFaults = %d, want 3", got)
	}
	var codes []int
	for range 4 {
		resp := e.get(t, "/me", url.Values{"access_token": {token}})
		if resp.status == http.StatusOK {
			codes = append(codes, 0)
			continue
		}
		got, _ := mustGraphError(t, resp)
		codes = append(codes, got.Code)
	}
	if diff := cmp.Diff([]int{2, 2, 4, 0}, codes); diff != "" {
		t.Errorf("codes mismatch (-want +got):\n%s", diff)
	}
	if got := e.emu.Calls(emulator.EndpointMe); got != 4 {
		t.Errorf("Calls(me) = %d, want 4 (failed ones included)", got)
	}
	if got := e.emu.PendingFaults(emulator.EndpointMe); got != 0 {
		t.Errorf("PendingFaults = %d, want 0", got)
	}
}

func TestServer_FailNextMalformed(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	e.emu.FailNext(emulator.EndpointIGRefreshToken, 1, emulator.Fault{Malformed: true})
	resp := e.get(t, "/refresh_access_token", refreshQuery(e.emu.IssueToken("alice", true)))
	if resp.status != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.status)
	}
	if json.Valid(resp.body) || len(resp.body) == 0 || strings.Contains(string(resp.body), "IGAA") {
		t.Errorf("body %q: want non-empty, invalid JSON, no token", resp.body)
	}
}

func TestServer_FailNextHang(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	e.emu.FailNext(emulator.EndpointIGExchangeToken, 1, emulator.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/access_token", nil)
	start := time.Now()
	_, err := e.client.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung request error = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("hang lasted %v after the client gave up", d)
	}
	// The next call is served normally.
	got, _ := mustGraphError(t, e.get(t, "/access_token", nil))
	if got.Code != 100 {
		t.Errorf("after the hang: code %d, want 100 (missing parameter)", got.Code)
	}
}

func TestServer_FailNextHangReleasedByClose(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Hang: true})
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+"/me", nil)
		resp, err := e.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for e.emu.Calls(emulator.EndpointMe) == 0 {
		time.Sleep(time.Millisecond)
	}
	e.emu.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("request released by Close got an answer, want a dropped connection")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hung request")
	}
}

func TestServer_FailNextDrop(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	// A fresh connection per request: net/http retries a GET that fails on
	// a reused keep-alive connection, which would hide the drop.
	tr := e.client.Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	client := &http.Client{Transport: tr}
	e.emu.FailNext(emulator.EndpointMe, 1, emulator.Fault{Drop: true})
	req := newRequest(t, http.MethodGet, e.url+"/me", nil)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request got status %d, want a transport error", resp.StatusCode)
	}
	if got := e.emu.Calls(emulator.EndpointMe); got != 1 {
		t.Errorf("Calls(me) = %d, want 1", got)
	}
}

func TestServer_FailNextUnknownEndpointPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("FailNext with an unknown endpoint did not panic")
		}
	}()
	emulator.New(emulator.Config{}).FailNext("refresh", 1, emulator.Fault{})
}

func TestServer_Latency(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{Latency: 50 * time.Millisecond})
	start := time.Now()
	e.get(t, "/me", nil)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("request took %v, want at least the 50ms latency", d)
	}

	e.emu.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/me", nil)
	if _, err := e.client.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	e.emu.SetLatency(0) // the cleanup's Close also releases a sleeping handler
}

func TestServer_CloseAnswersSleepingRequests(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{Latency: time.Hour})
	done := make(chan int, 1)
	go func() {
		resp, err := e.client.Get(e.url + "/me")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for e.emu.Calls(emulator.EndpointMe) == 0 {
		time.Sleep(time.Millisecond)
	}
	e.emu.Close()
	select {
	case status := <-done:
		if status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400 (no token), answered at once", status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the latency sleep")
	}
}
