package emulator_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/igtoken/igtoken/emulator"
)

// useCalls are one call to each endpoint that uses a token, with token.
func useCalls(e *env, containerID, uploadURI string) []struct {
	endpoint string
	do       func(t *testing.T, token string) response
} {
	return []struct {
		endpoint string
		do       func(t *testing.T, token string) response
	}{
		{emulator.EndpointMessages, func(t *testing.T, token string) response {
			return e.sendMessage(t, token, "IGSID1", "hi")
		}},
		{emulator.EndpointMedia, func(t *testing.T, token string) response {
			return e.postGraph(t, "/v25.0/me/media", token, reelsURL())
		}},
		{emulator.EndpointContainer, func(t *testing.T, token string) response {
			return e.getGraph(t, "/v25.0/"+containerID, token, url.Values{"fields": {"status_code"}})
		}},
		{emulator.EndpointMediaPublish, func(t *testing.T, token string) response {
			return e.publish(t, token, containerID)
		}},
		{emulator.EndpointPublishingLimit, func(t *testing.T, token string) response {
			return e.getGraph(t, "/v25.0/me/content_publishing_limit", token, nil)
		}},
		{emulator.EndpointRupload + " POST", func(t *testing.T, token string) response {
			return e.upload(t, uploadURI, token, "0", "4", []byte("abcd"))
		}},
		{emulator.EndpointRupload + " GET", func(t *testing.T, token string) response {
			return e.call(t, http.MethodGet, uploadURI, nil, "Authorization", "OAuth "+token)
		}},
	}
}

// TestServer_UseEndpointsRejectDeadTokens: a token rotated away by a
// refresh, an expired one and a revoked one get 190 on every endpoint that
// uses a token, and change nothing.
func TestServer_UseEndpointsRejectDeadTokens(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{RefreshRotates: true, OldTokenValidAfterRotate: new(false), ProcessingTime: -1})
	old := e.emu.IssueToken("alice", true)
	short := e.emu.IssueToken("alice", false)
	e.emu.Advance(24 * time.Hour) // old may be refreshed; short has expired
	var refreshed longLivedResp
	mustDecode(t, e.get(t, "/refresh_access_token", refreshQuery(old)), http.StatusOK, &refreshed)
	current := refreshed.AccessToken
	if current == old {
		t.Fatal("refresh did not rotate the token")
	}
	e.emu.OpenWindow("alice", "IGSID1")
	container := e.mustCreate(t, current, reelsURL())
	upload := e.mustCreate(t, current, reelsResumable())

	check := func(t *testing.T, token string, want graphErr, wantMsg string) {
		for _, c := range useCalls(e, container.ID, upload.URI) {
			resp := c.do(t, token)
			got, msg := mustGraphError(t, resp)
			if got != want || !strings.HasPrefix(msg, wantMsg) {
				t.Errorf("%s: %+v %q, want %+v %q", c.endpoint, got, msg, want, wantMsg)
			}
			if strings.Contains(string(resp.body), "IGAA") {
				t.Errorf("%s: error body holds a token", c.endpoint)
			}
		}
	}
	t.Run("RotatedAway", func(t *testing.T) {
		check(t, old, graphErr{Status: 400, Type: "OAuthException", Code: 190},
			"Invalid OAuth access token - Cannot parse access token")
	})
	t.Run("Expired", func(t *testing.T) {
		check(t, short, graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 463},
			"Error validating access token: Session has expired on ")
	})
	t.Run("Unknown", func(t *testing.T) {
		check(t, "IGAAnope", graphErr{Status: 400, Type: "OAuthException", Code: 190},
			"Invalid OAuth access token - Cannot parse access token")
	})
	t.Run("CurrentWorks", func(t *testing.T) {
		for _, c := range useCalls(e, container.ID, upload.URI) {
			if resp := c.do(t, current); resp.status != http.StatusOK {
				t.Errorf("%s with the current token: status %d %s", c.endpoint, resp.status, resp.body)
			}
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		e.emu.Revoke("alice", 460)
		before := len(e.emu.Messages("alice"))
		check(t, current, graphErr{Status: 400, Type: "OAuthException", Code: 190, Subcode: 460},
			"Error validating access token: The session has been invalidated")
		if n := len(e.emu.Messages("alice")); n != before {
			t.Errorf("a revoked token sent a message")
		}
	})
	if n := len(e.emu.Published("alice")); n != 1 {
		t.Errorf("Published = %d, want 1 (by the current token only)", n)
	}
}

func TestServer_ControlUseState(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1, PublishQuota: 7})
	token := e.emu.IssueToken("alice", true)
	resp := e.postJSON(t, "/_emulator/users/alice/window", map[string]string{"igsid": "IGSID9"})
	if resp.status != http.StatusOK {
		t.Fatalf("window: %d %s", resp.status, resp.body)
	}
	if resp := e.postJSON(t, "/_emulator/users/alice/window", map[string]string{}); resp.status != http.StatusBadRequest {
		t.Errorf("window without igsid: status %d, want 400", resp.status)
	}
	mustDecode(t, e.sendMessage(t, token, "IGSID9", "hi"), http.StatusOK, &sent{})
	e.mustPublish(t, token, e.mustCreate(t, token, reelsURL()).ID)
	e.mustCreate(t, token, reelsURL())

	var st struct {
		Config struct {
			PublishQuota   int    `json:"publish_quota"`
			ProcessingTime string `json:"processing_time"`
		} `json:"config"`
		Users []struct {
			Username   string `json:"username"`
			Messages   int    `json:"messages"`
			Containers int    `json:"containers"`
			Published  int    `json:"published"`
		} `json:"users"`
	}
	mustDecode(t, e.get(t, "/_emulator/state", nil), http.StatusOK, &st)
	if st.Config.PublishQuota != 7 || st.Config.ProcessingTime != "0s" {
		t.Errorf("config = %+v", st.Config)
	}
	if len(st.Users) != 1 || st.Users[0].Messages != 1 || st.Users[0].Containers != 2 || st.Users[0].Published != 1 {
		t.Errorf("users = %+v, want alice with 1 message, 2 containers, 1 published", st.Users)
	}
}
