package emulator_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

// uploadOK is rupload's success answer (§5.2).
var uploadOK = map[string]any{"success": true, "message": "Upload successful."}

func mustUploadOK(tb testing.TB, resp response) {
	tb.Helper()
	var got map[string]any
	mustDecode(tb, resp, http.StatusOK, &got)
	if diff := cmp.Diff(uploadOK, got); diff != "" {
		tb.Errorf("upload answer (-want +got):\n%s", diff)
	}
}

// offsetOf asks the emulator-only GET on the upload path.
func (e *env) offsetOf(tb testing.TB, path, token string) (offset, fileSize int64) {
	tb.Helper()
	var got struct {
		Offset   int64 `json:"offset"`
		FileSize int64 `json:"file_size"`
	}
	mustDecode(tb, e.call(tb, http.MethodGet, path, nil, "Authorization", "OAuth "+token), http.StatusOK, &got)
	return got.Offset, got.FileSize
}

func TestServer_ResumableUploadInTwoChunks(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: time.Minute})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsResumable())
	if want := e.url + "/rupload/ig-api/v25.0/" + c.ID; c.URI != want {
		t.Fatalf("uri = %q, want %q", c.URI, want)
	}
	video := testVideo(100_000)
	size := strconv.Itoa(len(video))

	if off, fs := e.offsetOf(t, c.URI, token); off != 0 || fs != 0 {
		t.Errorf("offset before upload = %d/%d, want 0/0", off, fs)
	}
	mustUploadOK(t, e.upload(t, c.URI, token, "0", size, video[:40_000]))
	if off, fs := e.offsetOf(t, c.URI, token); off != 40_000 || fs != 100_000 {
		t.Errorf("offset after chunk 1 = %d/%d, want 40000/100000", off, fs)
	}
	// Half uploaded: stays IN_PROGRESS, however long one waits (§5.3).
	e.emu.Advance(time.Hour)
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "IN_PROGRESS" {
		t.Errorf("status half uploaded = %s, want IN_PROGRESS", st.StatusCode)
	}
	// Meta's own path, no file_size on later chunks.
	mustUploadOK(t, e.upload(t, "/ig-api-upload/v25.0/"+c.ID, token, "40000", "", video[40_000:]))
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "IN_PROGRESS" {
		t.Errorf("status while processing = %s, want IN_PROGRESS", st.StatusCode)
	}
	e.emu.Advance(time.Minute)
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "FINISHED" {
		t.Errorf("status after processing = %s, want FINISHED", st.StatusCode)
	}
	e.mustPublish(t, token, c.ID)
	m := e.emu.Published("alice")[0]
	sum := sha256.Sum256(video)
	if m.Size != 100_000 || m.SHA256 != hex.EncodeToString(sum[:]) || m.MediaType != "VIDEO" || m.MediaProductType != "REELS" {
		t.Errorf("media = %+v, want the whole video as a reel", m)
	}
}

func TestServer_UploadDroppedAndResumed(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsResumable())
	video := testVideo(200_000)
	size := strconv.Itoa(len(video))

	e.emu.FailNextUpload(70_000)
	req := newRequest(t, http.MethodPost, c.URI, bytes.NewReader(video))
	req.Header.Set("Authorization", "OAuth "+token)
	req.Header.Set("offset", "0")
	req.Header.Set("file_size", size)
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("broken upload got status %d, want a transport error", resp.StatusCode)
	}
	off, fs := e.offsetOf(t, c.URI, token)
	if off != 70_000 || fs != 200_000 {
		t.Fatalf("offset after the drop = %d/%d, want 70000/200000", off, fs)
	}

	// Starting over is refused, and the error names the offset.
	got, msg := mustGraphError(t, e.upload(t, c.URI, token, "0", size, video))
	if got.Status != 400 || got.Code != 100 || !strings.Contains(msg, "at offset 70000") {
		t.Errorf("restart at 0 = %+v %q, want 400 code 100 naming offset 70000", got, msg)
	}
	mustUploadOK(t, e.upload(t, c.URI, token, strconv.FormatInt(off, 10), size, video[off:]))
	e.mustPublish(t, token, c.ID)
	sum := sha256.Sum256(video)
	if m := e.emu.Published("alice")[0]; m.SHA256 != hex.EncodeToString(sum[:]) {
		t.Error("resumed upload does not hold the video's bytes")
	}
	if n, p := e.emu.Calls(emulator.EndpointRupload), e.emu.PendingFaults(emulator.EndpointRupload); n != 4 || p != 0 {
		t.Errorf("Calls, PendingFaults(rupload) = %d, %d; want 4, 0", n, p)
	}
}

func TestServer_UploadDropBeforeAnyByte(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsResumable())
	e.emu.FailNextUpload(0)
	req := newRequest(t, http.MethodPost, c.URI, bytes.NewReader(testVideo(10)))
	req.Header.Set("Authorization", "OAuth "+token)
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("dropped upload got an answer")
	}
	if off, _ := e.offsetOf(t, c.URI, token); off != 0 {
		t.Errorf("offset = %d, want 0", off)
	}
}

// TestServer_UploadControlFault scripts the broken upload over HTTP, with a
// body shorter than the drop point: the upload completes, the answer is lost.
func TestServer_UploadControlFault(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsResumable())
	resp := e.postJSON(t, "/_emulator/fail", map[string]any{"endpoint": "rupload", "fault": map[string]any{"drop_after_bytes": 1 << 20}})
	if resp.status != http.StatusOK {
		t.Fatalf("fail: %d %s", resp.status, resp.body)
	}
	req := newRequest(t, http.MethodPost, c.URI, bytes.NewReader(testVideo(1000)))
	req.Header.Set("Authorization", "OAuth "+token)
	req.Header.Set("offset", "0")
	req.Header.Set("file_size", "1000")
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("dropped upload got an answer")
	}
	if off, _ := e.offsetOf(t, c.URI, token); off != 1000 {
		t.Errorf("offset = %d, want 1000 (all kept)", off)
	}
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "FINISHED" {
		t.Errorf("status = %s, want FINISHED", st.StatusCode)
	}
}

func TestServer_UploadFileURL(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsResumable())
	mustUploadOK(t, e.call(t, http.MethodPost, "/rupload/ig-api/"+c.ID, nil,
		"Authorization", "OAuth "+token, "file_url", "https://cdn.example.com/hosted.mp4"))
	e.mustPublish(t, token, c.ID)
	if m := e.emu.Published("alice")[0]; m.SourceURL != "https://cdn.example.com/hosted.mp4" || m.Size != 0 {
		t.Errorf("media = %+v, want the hosted URL", m)
	}
}

func TestServer_UploadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, token string) response
		want  graphErr
	}{
		{
			name: "NotResumable",
			setup: func(t *testing.T, e *env, token string) response {
				return e.upload(t, "/rupload/ig-api/v25.0/"+e.mustCreate(t, token, reelsURL()).ID, token, "0", "10", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "NoOffset",
			setup: func(t *testing.T, e *env, token string) response {
				return e.upload(t, e.mustCreate(t, token, reelsResumable()).URI, token, "", "10", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "NoFileSize",
			setup: func(t *testing.T, e *env, token string) response {
				return e.upload(t, e.mustCreate(t, token, reelsResumable()).URI, token, "0", "", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "BodyPastFileSize",
			setup: func(t *testing.T, e *env, token string) response {
				return e.upload(t, e.mustCreate(t, token, reelsResumable()).URI, token, "0", "5", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "FileSizeChanges",
			setup: func(t *testing.T, e *env, token string) response {
				uri := e.mustCreate(t, token, reelsResumable()).URI
				mustUploadOK(t, e.upload(t, uri, token, "0", "20", testVideo(10)))
				return e.upload(t, uri, token, "10", "30", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "AfterComplete",
			setup: func(t *testing.T, e *env, token string) response {
				uri := e.mustCreate(t, token, reelsResumable()).URI
				mustUploadOK(t, e.upload(t, uri, token, "0", "10", testVideo(10)))
				return e.upload(t, uri, token, "10", "10", testVideo(1))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 100},
		},
		{
			name: "UnknownContainer",
			setup: func(t *testing.T, e *env, token string) response {
				return e.upload(t, "/rupload/ig-api/v25.0/1788000000000000", token, "0", "10", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "GraphMethodException", Code: 100, Subcode: 33},
		},
		{
			name: "OtherUsersContainer",
			setup: func(t *testing.T, e *env, token string) response {
				uri := e.mustCreate(t, e.emu.IssueToken("bob", true), reelsResumable()).URI
				return e.upload(t, uri, token, "0", "10", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "GraphMethodException", Code: 100, Subcode: 33},
		},
		{
			name: "Expired",
			setup: func(t *testing.T, e *env, token string) response {
				uri := e.mustCreate(t, token, reelsResumable()).URI
				e.emu.Advance(24 * time.Hour)
				return e.upload(t, uri, token, "0", "10", testVideo(10))
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: -2, Subcode: 2207020},
		},
		{
			name: "NoToken",
			setup: func(t *testing.T, e *env, token string) response {
				return e.call(t, http.MethodPost, e.mustCreate(t, token, reelsResumable()).URI, bytes.NewReader(testVideo(10)),
					"offset", "0", "file_size", "10")
			},
			want: graphErr{Status: 400, Type: "OAuthException", Code: 104},
		},
		{
			name: "Put",
			setup: func(t *testing.T, e *env, token string) response {
				return e.call(t, http.MethodPut, e.mustCreate(t, token, reelsResumable()).URI, nil, "Authorization", "OAuth "+token)
			},
			want: graphErr{Status: 400, Type: "GraphMethodException", Code: 100},
		},
		{
			name: "Fault",
			setup: func(t *testing.T, e *env, token string) response {
				uri := e.mustCreate(t, token, reelsResumable()).URI
				e.emu.FailNext(emulator.EndpointRupload, 1, emulator.Fault{Code: 1, IsTransient: true})
				return e.upload(t, uri, token, "0", "10", testVideo(10))
			},
			want: graphErr{Status: 500, Type: "OAuthException", Code: 1, IsTransient: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			got, _ := mustGraphError(t, tt.setup(t, e, e.emu.IssueToken("alice", true)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServer_UploadDebugInfoErrors(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{RuploadDebugInfo: true})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsResumable())
	tests := []struct {
		name, token, offset string
		wantMsg             string
	}{
		{"BadToken", "IGAAnope", "0", "unauthorized user request"},
		{"WrongOffset", token, "5", "(#100) Invalid offset 5: the upload is at offset 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.upload(t, c.URI, tt.token, tt.offset, "10", testVideo(5))
			var body struct {
				DebugInfo struct {
					Retriable bool   `json:"retriable"`
					Type      string `json:"type"`
					Message   string `json:"message"`
				} `json:"debug_info"`
			}
			mustDecode(t, resp, http.StatusBadRequest, &body)
			var inner struct {
				Success bool `json:"success"`
				Error   struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(body.DebugInfo.Message), &inner); err != nil {
				t.Fatalf("debug_info.message is not JSON: %q", body.DebugInfo.Message)
			}
			if body.DebugInfo.Type != "ProcessingFailedError" || inner.Success || inner.Error.Message != tt.wantMsg {
				t.Errorf("debug_info = %+v, inner %+v; want ProcessingFailedError, %q", body.DebugInfo, inner, tt.wantMsg)
			}
		})
	}
}

func TestServer_UploadHasNoUsageHeaders(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{AppCallBudget: 1})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsResumable()) // 100 % of the app's budget
	// rupload.facebook.com is not graph.instagram.com: not metered.
	resp := e.upload(t, c.URI, token, "0", "3", testVideo(3))
	mustUploadOK(t, resp)
	if h := resp.header.Get("X-App-Usage"); h != "" {
		t.Errorf("upload answer has X-App-Usage %s", h)
	}
	if off, _ := e.offsetOf(t, c.URI, token); off != 3 {
		t.Errorf("offset = %d, want 3", off)
	}
}
