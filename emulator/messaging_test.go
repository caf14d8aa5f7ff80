package emulator_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

func TestServer_Messages(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	alice, _ := e.emu.User("alice")
	e.emu.OpenWindow("alice", "IGSID1")

	tests := []struct {
		name string
		send func(t *testing.T) response
		want emulator.Message // ID and At are checked apart
	}{
		{
			name: "MeJSONBearer",
			send: func(t *testing.T) response { return e.sendMessage(t, token, "IGSID1", "hi") },
			want: emulator.Message{Recipient: "IGSID1", Text: "hi"},
		},
		{
			name: "InstagramIDAccessTokenParam",
			send: func(t *testing.T) response {
				return e.call(t, http.MethodPost, "/v23.0/"+alice.InstagramID+"/messages?access_token="+url.QueryEscape(token),
					messageBody(t, "IGSID1", "by id"), "Content-Type", "application/json")
			},
			want: emulator.Message{Recipient: "IGSID1", Text: "by id"},
		},
		{
			name: "AppScopedIDNoVersion",
			send: func(t *testing.T) response {
				return e.call(t, http.MethodPost, "/"+alice.AppScopedID+"/messages", messageBody(t, "IGSID1", "scoped"),
					"Content-Type", "application/json", "Authorization", "Bearer "+token)
			},
			want: emulator.Message{Recipient: "IGSID1", Text: "scoped"},
		},
		{
			// The Facebook Login variant: form fields holding JSON (§6).
			name: "Form",
			send: func(t *testing.T) response {
				return e.postForm(t, "/v25.0/me/messages", url.Values{"access_token": {token},
					"recipient": {`{"id":"IGSID1"}`}, "message": {`{"text":"form"}`}})
			},
			want: emulator.Message{Recipient: "IGSID1", Text: "form"},
		},
		{
			name: "Attachment",
			send: func(t *testing.T) response {
				body := `{"recipient":{"id":"IGSID1"},"message":{"attachment":{"type":"image","payload":{"url":"https://x.test/a.jpg"}}}}`
				return e.call(t, http.MethodPost, "/me/messages", strings.NewReader(body),
					"Content-Type", "application/json", "Authorization", "Bearer "+token)
			},
			want: emulator.Message{Recipient: "IGSID1", AttachmentType: "image", AttachmentURL: "https://x.test/a.jpg"},
		},
		{
			name: "ExactlyThousandBytes",
			send: func(t *testing.T) response { return e.sendMessage(t, token, "IGSID1", strings.Repeat("é", 500)) },
			want: emulator.Message{Recipient: "IGSID1", Text: strings.Repeat("é", 500)},
		},
	}
	var ids []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got sent
			mustDecode(t, tt.send(t), http.StatusOK, &got)
			if got.RecipientID != "IGSID1" || !strings.HasPrefix(got.MessageID, "mid.") {
				t.Errorf("answer = %+v, want recipient_id IGSID1 and a mid. message_id", got)
			}
			ids = append(ids, got.MessageID)
		})
	}
	msgs := e.emu.Messages("alice")
	if len(msgs) != len(tests) {
		t.Fatalf("Messages = %d, want %d", len(msgs), len(tests))
	}
	for i, m := range msgs {
		if m.ID != ids[i] || m.At.IsZero() {
			t.Errorf("message %d: id %q at %v, want %q and a time", i, m.ID, m.At, ids[i])
		}
		m.ID, m.At = "", time.Time{}
		if diff := cmp.Diff(tests[i].want, m); diff != "" {
			t.Errorf("message %d mismatch (-want +got):\n%s", i, diff)
		}
	}
	if got := e.emu.Calls(emulator.EndpointMessages); got != len(tests) {
		t.Errorf("Calls(messages) = %d, want %d", got, len(tests))
	}
}

func TestServer_MessagesWindow(t *testing.T) {
	t.Parallel()
	const outside = "(#10) This message is sent outside of allowed window."
	tests := []struct {
		name    string
		open    bool
		advance time.Duration
		tag     string
		wantOK  bool
	}{
		{name: "NeverMessaged"},
		{name: "Open", open: true, wantOK: true},
		{name: "AlmostClosed", open: true, advance: 24*time.Hour - time.Minute, wantOK: true},
		{name: "Closed", open: true, advance: 24 * time.Hour},
		{name: "HumanAgentAfterTwoDays", open: true, advance: 48 * time.Hour, tag: "HUMAN_AGENT", wantOK: true},
		{name: "HumanAgentAfterSevenDays", open: true, advance: 7 * 24 * time.Hour, tag: "HUMAN_AGENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			token := e.emu.IssueToken("alice", true)
			if tt.open {
				e.emu.OpenWindow("alice", "IGSID1")
			}
			e.emu.Advance(tt.advance)
			body := fmt.Sprintf(`{"recipient":{"id":"IGSID1"},"message":{"text":"hi"},"tag":%q}`, tt.tag)
			resp := e.call(t, http.MethodPost, "/me/messages", strings.NewReader(body),
				"Content-Type", "application/json", "Authorization", "Bearer "+token)
			if tt.wantOK {
				mustDecode(t, resp, http.StatusOK, &sent{})
				if n := len(e.emu.Messages("alice")); n != 1 {
					t.Errorf("Messages = %d, want 1", n)
				}
				return
			}
			got, msg := mustGraphError(t, resp)
			if want := (graphErr{Status: 400, Type: "OAuthException", Code: 10, Subcode: 2534022}); got != want || msg != outside {
				t.Errorf("error = %+v %q, want %+v %q", got, msg, want, outside)
			}
			if n := len(e.emu.Messages("alice")); n != 0 {
				t.Errorf("Messages = %d, want 0", n)
			}
		})
	}
}

func TestServer_MessagesWindowReopens(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	e.emu.OpenWindow("alice", "IGSID1")
	e.emu.Advance(25 * time.Hour)
	mustGraphError(t, e.sendMessage(t, token, "IGSID1", "late"))
	e.emu.OpenWindow("alice", "IGSID1") // the user wrote again
	mustDecode(t, e.sendMessage(t, token, "IGSID1", "now"), http.StatusOK, &sent{})
	// Windows are per account: bob never heard from IGSID1.
	mustGraphError(t, e.sendMessage(t, e.emu.IssueToken("bob", true), "IGSID1", "hi"))
}

func TestServer_MessagesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     func(t *testing.T, e *env, token string) *http.Request
		want    graphErr
		wantMsg string
	}{
		{
			name: "TextTooLong",
			req: func(t *testing.T, e *env, token string) *http.Request {
				// 501 two-byte runes: 1002 bytes.
				return jsonReq(e, "/me/messages", token, messageBody(t, "IGSID1", strings.Repeat("é", 501)))
			},
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 100},
			wantMsg: "(#100) Length of param message[text] must be less than or equal to 1000",
		},
		{
			name: "NoRecipient",
			req: func(t *testing.T, e *env, token string) *http.Request {
				return jsonReq(e, "/me/messages", token, strings.NewReader(`{"message":{"text":"hi"}}`))
			},
			want:    graphErr{Status: 400, Type: "OAuthException", Code: 100},
			wantMsg: "(#100) The parameter recipient is required",
		},
		{
			name: "EmptyMessage",
			req: func(t *testing.T, e *env, token string) *http.Request {
				return jsonReq(e, "/me/messages", token, strings.NewReader(`{"recipient":{"id":"IGSID1"},"message":{}}`))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "BadJSON",
			req: func(t *testing.T, e *env, token string) *http.Request {
				return jsonReq(e, "/me/messages", token, strings.NewReader(`{"recipient":`))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "OtherUsersID",
			req: func(t *testing.T, e *env, token string) *http.Request {
				return jsonReq(e, "/"+e.emu.AddUser("bob").InstagramID+"/messages", token, messageBody(t, "IGSID1", "hi"))
			},
			want: graphErr{Status: 400, Type: "GraphMethodException", Code: 100, Subcode: 33},
		},
		{
			name: "Get",
			req: func(t *testing.T, e *env, token string) *http.Request {
				return newRequest(t, http.MethodGet, e.url+"/me/messages?access_token="+token, nil)
			},
			want:    graphErr{Status: 400, Type: "GraphMethodException", Code: 100},
			wantMsg: "Unsupported get request.",
		},
		{
			name: "NoTokenMe",
			req: func(t *testing.T, e *env, token string) *http.Request {
				return jsonReq(e, "/me/messages", "", messageBody(t, "IGSID1", "hi"))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 2500},
		},
		{
			name: "NoTokenID",
			req: func(t *testing.T, e *env, token string) *http.Request {
				alice, _ := e.emu.User("alice")
				return jsonReq(e, "/"+alice.InstagramID+"/messages", "", messageBody(t, "IGSID1", "hi"))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 104},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			token := e.emu.IssueToken("alice", true)
			e.emu.OpenWindow("alice", "IGSID1")
			got, msg := mustGraphError(t, e.do(t, tt.req(t, e, token)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if tt.wantMsg != "" && msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			if n := len(e.emu.Messages("alice")); n != 0 {
				t.Errorf("Messages = %d after a refused send, want 0", n)
			}
		})
	}
}

// jsonReq is a JSON POST, with a Bearer token unless token is "".
// It may be called outside the test's goroutine.
func jsonReq(e *env, path, token string, body io.Reader) *http.Request {
	req, err := http.NewRequest(http.MethodPost, e.url+path, body)
	if err != nil {
		panic(err) // e.url is a valid URL
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func TestServer_MessagesExactlyOnce(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	e.emu.OpenWindow("alice", "IGSID1")
	e.client.Transport.(*http.Transport).MaxIdleConnsPerHost = 50

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				req := jsonReq(e, "/me/messages", token, messageBody(t, "IGSID1", fmt.Sprintf("m%02d", i)))
				resp, err := e.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("m%02d: status %d", i, resp.StatusCode)
				}
			})
		}
		wg.Wait()
		texts := map[string]int{}
		ids := map[string]bool{}
		for _, m := range e.emu.Messages("alice") {
			texts[m.Text]++
			ids[m.ID] = true
		}
		if len(texts) != 50 || len(ids) != 50 {
			t.Errorf("%d distinct texts, %d distinct ids; want 50 each", len(texts), len(ids))
		}
		for text, n := range texts {
			if n != 1 {
				t.Errorf("%s delivered %d times", text, n)
			}
		}
	})

	// A lost answer: the message is delivered, the client sees a transport
	// error. A client that resends would deliver it twice.
	t.Run("DropAfter", func(t *testing.T) {
		before := len(e.emu.Messages("alice"))
		e.emu.FailNext(emulator.EndpointMessages, 1, emulator.Fault{DropAfter: true})
		resp, err := e.client.Do(jsonReq(e, "/me/messages", token, messageBody(t, "IGSID1", "lost answer")))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("status %d, want a transport error", resp.StatusCode)
		}
		msgs := e.emu.Messages("alice")
		if len(msgs) != before+1 || msgs[len(msgs)-1].Text != "lost answer" {
			t.Errorf("Messages = %d (last %q), want %d ending with the lost answer", len(msgs), msgs[len(msgs)-1].Text, before+1)
		}
	})

	t.Run("FaultsDeliverNothing", func(t *testing.T) {
		before := len(e.emu.Messages("alice"))
		e.emu.FailNext(emulator.EndpointMessages, 1, emulator.Fault{Code: 2, IsTransient: true})
		if got, _ := mustGraphError(t, e.sendMessage(t, token, "IGSID1", "x")); got.Code != 2 {
			t.Errorf("code = %d, want 2", got.Code)
		}
		e.emu.FailNext(emulator.EndpointMessages, 1, emulator.Fault{Drop: true})
		if resp, err := e.client.Do(jsonReq(e, "/me/messages", token, messageBody(t, "IGSID1", "y"))); err == nil {
			resp.Body.Close()
			t.Error("dropped request got an answer")
		}
		if n := len(e.emu.Messages("alice")); n != before {
			t.Errorf("Messages = %d, want %d: failed calls must not deliver", n, before)
		}
	})
}
