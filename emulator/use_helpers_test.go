package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// call sends method path with body and header pairs ("Name", "value", …).
func (e *env) call(tb testing.TB, method, path string, body io.Reader, header ...string) response {
	tb.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.url + path
	}
	req := newRequest(tb, method, target, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(tb, req)
}

// postGraph sends form as an urlencoded POST with the token as a Bearer
// header.
func (e *env) postGraph(tb testing.TB, path, token string, form url.Values) response {
	tb.Helper()
	return e.call(tb, http.MethodPost, path, strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Authorization", "Bearer "+token)
}

// getGraph sends GET path?query with the token as a Bearer header.
func (e *env) getGraph(tb testing.TB, path, token string, query url.Values) response {
	tb.Helper()
	return e.get(tb, path, query, "Authorization", "Bearer "+token)
}

// messageBody is a Send API JSON body (§6).
func messageBody(tb testing.TB, igsid, text string) io.Reader {
	tb.Helper()
	b, err := json.Marshal(map[string]any{"recipient": map[string]string{"id": igsid}, "message": map[string]string{"text": text}})
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.NewReader(b)
}

// sendMessage posts a text message to /me/messages as JSON with a Bearer token.
func (e *env) sendMessage(tb testing.TB, token, igsid, text string) response {
	tb.Helper()
	return e.call(tb, http.MethodPost, "/v25.0/me/messages", messageBody(tb, igsid, text),
		"Content-Type", "application/json", "Authorization", "Bearer "+token)
}

// sent is the Send API's answer.
type sent struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// created is the answer of POST /{ig-user-id}/media.
type created struct {
	ID  string `json:"id"`
	URI string `json:"uri"`
}

// mustCreate creates a media container for the token's user and returns it.
func (e *env) mustCreate(tb testing.TB, token string, params url.Values) created {
	tb.Helper()
	var c created
	mustDecode(tb, e.postGraph(tb, "/v25.0/me/media", token, params), http.StatusOK, &c)
	if c.ID == "" {
		tb.Fatal("container without id")
	}
	return c
}

func reelsURL() url.Values {
	return url.Values{"media_type": {"REELS"}, "video_url": {"https://cdn.example.com/v.mp4"}, "caption": {"hello"}}
}

func reelsResumable() url.Values {
	return url.Values{"media_type": {"REELS"}, "upload_type": {"resumable"}, "caption": {"uploaded"}}
}

// status is a container's status (§5.3).
type status struct {
	ID         string `json:"id"`
	StatusCode string `json:"status_code"`
	Status     string `json:"status"`
}

func (e *env) mustStatus(tb testing.TB, token, id string) status {
	tb.Helper()
	var st status
	mustDecode(tb, e.getGraph(tb, "/v25.0/"+id, token, url.Values{"fields": {"status_code,status"}}), http.StatusOK, &st)
	if st.ID != id {
		tb.Errorf("status id = %q, want %q", st.ID, id)
	}
	return st
}

// publish posts media_publish for the container.
func (e *env) publish(tb testing.TB, token, creationID string) response {
	tb.Helper()
	return e.postGraph(tb, "/v25.0/me/media_publish", token, url.Values{"creation_id": {creationID}})
}

// mustPublish publishes the container and returns the media id.
func (e *env) mustPublish(tb testing.TB, token, creationID string) string {
	tb.Helper()
	var got struct{ ID string }
	mustDecode(tb, e.publish(tb, token, creationID), http.StatusOK, &got)
	if got.ID == "" {
		tb.Fatal("media_publish answered no id")
	}
	return got.ID
}

// upload posts body to an upload path with offset and file_size headers
// ("" leaves one out) and the token in an OAuth header (§5.2).
func (e *env) upload(tb testing.TB, path, token, offset, fileSize string, body []byte) response {
	tb.Helper()
	header := []string{"Authorization", "OAuth " + token, "Content-Type", "application/octet-stream"}
	if offset != "" {
		header = append(header, "offset", offset)
	}
	if fileSize != "" {
		header = append(header, "file_size", fileSize)
	}
	return e.call(tb, http.MethodPost, path, bytes.NewReader(body), header...)
}

// userMsg returns a Graph error's error_user_msg.
func userMsg(tb testing.TB, resp response) string {
	tb.Helper()
	var body struct {
		Error struct {
			UserMsg string `json:"error_user_msg"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		tb.Fatalf("decode %s: %v", resp.body, err)
	}
	return body.Error.UserMsg
}

// testVideo returns n bytes that are not all alike.
func testVideo(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}
