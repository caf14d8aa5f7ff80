package emulator_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/emulator"
)

func TestServer_PublishVideoURL(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: time.Minute})
	token := e.emu.IssueToken("alice", true)
	alice, _ := e.emu.User("alice")

	params := reelsURL()
	params.Set("share_to_feed", "true")
	var c created
	mustDecode(t, e.postGraph(t, "/v25.0/"+alice.InstagramID+"/media", token, params), http.StatusOK, &c)
	if c.ID == "" || c.URI != "" {
		t.Fatalf("container = %+v, want an id and no uri", c)
	}
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "IN_PROGRESS" {
		t.Errorf("status right after creation = %+v, want IN_PROGRESS", st)
	}

	// Too early: 9007/2207027, poll and retry (§5.4).
	resp := e.publish(t, token, c.ID)
	got, _ := mustGraphError(t, resp)
	if want := (graphErr{Status: 400, Type: "OAuthException", Code: 9007, Subcode: 2207027}); got != want {
		t.Errorf("early publish = %+v, want %+v", got, want)
	}
	if msg := userMsg(t, resp); msg != "The media is not ready for publishing, please wait for a moment" {
		t.Errorf("error_user_msg = %q", msg)
	}

	e.emu.Advance(time.Minute)
	want := status{ID: c.ID, StatusCode: "FINISHED", Status: "Finished: Media has been uploaded"}
	if diff := cmp.Diff(want, e.mustStatus(t, token, c.ID)); diff != "" {
		t.Errorf("status after processing (-want +got):\n%s", diff)
	}
	mediaID := e.mustPublish(t, token, c.ID)
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "PUBLISHED" {
		t.Errorf("status after publish = %+v, want PUBLISHED", st)
	}

	// Never twice.
	got, _ = mustGraphError(t, e.publish(t, token, c.ID))
	if got.Status != 400 || got.Code != 100 {
		t.Errorf("second publish = %+v, want 400 code 100", got)
	}
	published := e.emu.Published("alice")
	if len(published) != 1 {
		t.Fatalf("Published = %d, want 1", len(published))
	}
	m := published[0]
	if m.PublishedAt.IsZero() {
		t.Error("PublishedAt is zero")
	}
	m.PublishedAt = time.Time{}
	wantMedia := emulator.Media{ID: mediaID, ContainerID: c.ID, MediaType: "VIDEO", MediaProductType: "REELS",
		Caption: "hello", ShareToFeed: true, SourceURL: "https://cdn.example.com/v.mp4"}
	if diff := cmp.Diff(wantMedia, m); diff != "" {
		t.Errorf("Published mismatch (-want +got):\n%s", diff)
	}
	if n := e.emu.Calls(emulator.EndpointMediaPublish); n != 3 {
		t.Errorf("Calls(media_publish) = %d, want 3", n)
	}

	var node map[string]string
	mustDecode(t, e.getGraph(t, "/"+mediaID, token, url.Values{"fields": {"id,media_type,media_product_type,caption,username"}}),
		http.StatusOK, &node)
	wantNode := map[string]string{"id": mediaID, "media_type": "VIDEO", "media_product_type": "REELS", "caption": "hello", "username": "alice"}
	if diff := cmp.Diff(wantNode, node); diff != "" {
		t.Errorf("GET /{media-id} mismatch (-want +got):\n%s", diff)
	}
	ctr, ok := e.emu.Container(c.ID)
	if !ok || ctr.StatusCode != "PUBLISHED" || ctr.MediaID != mediaID || ctr.Username != "alice" || ctr.MediaType != "REELS" {
		t.Errorf("Container = %+v, %v", ctr, ok)
	}
}

func TestServer_PublishDefaultProcessingTime(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsURL())
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "IN_PROGRESS" {
		t.Errorf("status = %s, want IN_PROGRESS for the default %v", st.StatusCode, emulator.DefaultProcessingTime)
	}
	e.emu.Advance(emulator.DefaultProcessingTime)
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "FINISHED" {
		t.Errorf("status after %v = %s, want FINISHED", emulator.DefaultProcessingTime, st.StatusCode)
	}
}

func TestServer_ContainerExpires(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsURL())
	e.emu.Advance(24*time.Hour - time.Minute)
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "FINISHED" {
		t.Errorf("status just before 24 h = %s, want FINISHED", st.StatusCode)
	}
	e.emu.Advance(time.Minute)
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "EXPIRED" {
		t.Errorf("status after 24 h = %s, want EXPIRED", st.StatusCode)
	}
	got, _ := mustGraphError(t, e.publish(t, token, c.ID))
	if want := (graphErr{Status: 400, Type: "OAuthException", Code: -2, Subcode: 2207020}); got != want {
		t.Errorf("publish expired = %+v, want %+v", got, want)
	}
	if n := len(e.emu.Published("alice")); n != 0 {
		t.Errorf("Published = %d, want 0", n)
	}
}

func TestServer_FailContainer(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	c := e.mustCreate(t, token, reelsURL())
	if !e.emu.FailContainer(c.ID, "") {
		t.Fatal("FailContainer = false for an existing container")
	}
	want := status{ID: c.ID, StatusCode: "ERROR", Status: "Error: Media upload has failed with error code 2207026"}
	if diff := cmp.Diff(want, e.mustStatus(t, token, c.ID)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	got, _ := mustGraphError(t, e.publish(t, token, c.ID))
	if want := (graphErr{Status: 400, Type: "OAuthException", Code: -1, Subcode: 2207053}); got != want {
		t.Errorf("publish failed container = %+v, want %+v", got, want)
	}
	if e.emu.FailContainer("1788000000000000", "x") {
		t.Error("FailContainer = true for an unknown container")
	}

	// Over HTTP, with a custom status.
	c2 := e.mustCreate(t, token, reelsURL())
	var ctl map[string]string
	mustDecode(t, e.postJSON(t, "/_emulator/containers/"+c2.ID+"/fail", map[string]string{"status": "Error: custom"}), http.StatusOK, &ctl)
	if st := e.mustStatus(t, token, c2.ID); st.StatusCode != "ERROR" || st.Status != "Error: custom" {
		t.Errorf("status = %+v, want ERROR Error: custom", st)
	}
	if resp := e.postJSON(t, "/_emulator/containers/1/fail", map[string]string{}); resp.status != http.StatusNotFound {
		t.Errorf("fail unknown container: status %d, want 404", resp.status)
	}
}

func TestServer_PublishQuota(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{PublishQuota: 2, ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	for range 2 {
		e.mustPublish(t, token, e.mustCreate(t, token, reelsURL()).ID)
	}
	third := e.mustCreate(t, token, reelsURL())
	resp := e.publish(t, token, third.ID)
	got, _ := mustGraphError(t, resp)
	if want := (graphErr{Status: 400, Type: "OAuthException", Code: 9, Subcode: 2207042}); got != want {
		t.Errorf("publish over quota = %+v, want %+v", got, want)
	}
	if msg := userMsg(t, resp); !strings.HasPrefix(msg, "You reached maximum number of posts") {
		t.Errorf("error_user_msg = %q", msg)
	}
	if n := len(e.emu.Published("alice")); n != 2 {
		t.Errorf("Published = %d, want 2", n)
	}

	type limit struct {
		Data []struct {
			QuotaUsage *int `json:"quota_usage"`
			Config     *struct {
				QuotaTotal    int `json:"quota_total"`
				QuotaDuration int `json:"quota_duration"`
			} `json:"config"`
		} `json:"data"`
	}
	var full limit
	mustDecode(t, e.getGraph(t, "/v25.0/me/content_publishing_limit", token, url.Values{"fields": {"quota_usage,config"}}),
		http.StatusOK, &full)
	if len(full.Data) != 1 || full.Data[0].QuotaUsage == nil || *full.Data[0].QuotaUsage != 2 ||
		full.Data[0].Config == nil || full.Data[0].Config.QuotaTotal != 2 || full.Data[0].Config.QuotaDuration != 86400 {
		t.Errorf("content_publishing_limit = %+v, want usage 2, total 2, duration 86400", full)
	}
	var byDefault map[string][]map[string]int
	alice, _ := e.emu.User("alice")
	mustDecode(t, e.get(t, "/"+alice.InstagramID+"/content_publishing_limit", url.Values{"access_token": {token}}),
		http.StatusOK, &byDefault)
	if diff := cmp.Diff(map[string][]map[string]int{"data": {{"quota_usage": 2}}}, byDefault); diff != "" {
		t.Errorf("default fields (-want +got):\n%s", diff)
	}
	var since limit
	future := strconv.FormatInt(e.emu.Now().Add(time.Minute).Unix(), 10)
	mustDecode(t, e.getGraph(t, "/me/content_publishing_limit", token, url.Values{"since": {future}}), http.StatusOK, &since)
	if *since.Data[0].QuotaUsage != 0 {
		t.Errorf("quota_usage since later = %d, want 0", *since.Data[0].QuotaUsage)
	}
	bad, _ := mustGraphError(t, e.getGraph(t, "/me/content_publishing_limit", token, url.Values{"fields": {"quota"}}))
	if bad.Code != 100 {
		t.Errorf("unknown field: code %d, want 100", bad.Code)
	}

	// The quota is a rolling 24 h.
	e.emu.Advance(24 * time.Hour)
	var after limit
	mustDecode(t, e.getGraph(t, "/me/content_publishing_limit", token, nil), http.StatusOK, &after)
	if *after.Data[0].QuotaUsage != 0 {
		t.Errorf("quota_usage 24 h later = %d, want 0", *after.Data[0].QuotaUsage)
	}
	e.mustPublish(t, token, e.mustCreate(t, token, reelsURL()).ID)
}

func TestServer_ContainerLimit(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ContainerLimit: 3})
	token := e.emu.IssueToken("alice", true)
	for range 3 {
		e.mustCreate(t, token, reelsURL())
	}
	got, _ := mustGraphError(t, e.postGraph(t, "/me/media", token, reelsURL()))
	if got.Status != 400 || got.Code != 9 {
		t.Errorf("container over the limit = %+v, want 400 code 9", got)
	}
	e.mustCreate(t, e.emu.IssueToken("bob", true), reelsURL()) // per account
	e.emu.Advance(24 * time.Hour)
	e.mustCreate(t, token, reelsURL())
}

func TestServer_ContainerDefaultLimit(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{})
	token := e.emu.IssueToken("alice", true)
	for i := range emulator.DefaultContainerLimit {
		if resp := e.postGraph(t, "/me/media", token, reelsURL()); resp.status != http.StatusOK {
			t.Fatalf("container %d: status %d %s", i, resp.status, resp.body)
		}
	}
	if got, _ := mustGraphError(t, e.postGraph(t, "/me/media", token, reelsURL())); got.Code != 9 {
		t.Errorf("container 401: code %d, want 9", got.Code)
	}
}

func TestServer_MediaErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params url.Values
		want   graphErr
	}{
		{"UnknownType", url.Values{"media_type": {"HOLOGRAM"}, "video_url": {"https://x.test/v.mp4"}},
			graphErr{Status: 400, Type: "OAuthException", Code: 100, Subcode: 2207023}},
		{"ReelsWithoutVideo", url.Values{"media_type": {"REELS"}}, graphErr{Status: 400, Type: "OAuthException", Code: 100}},
		{"ImageWithoutURL", url.Values{}, graphErr{Status: 400, Type: "OAuthException", Code: 100}},
		{"BadUploadType", url.Values{"media_type": {"REELS"}, "upload_type": {"chunked"}}, graphErr{Status: 400, Type: "OAuthException", Code: 100}},
		{"ResumableWithURL", url.Values{"media_type": {"REELS"}, "upload_type": {"resumable"}, "video_url": {"https://x.test/v.mp4"}},
			graphErr{Status: 400, Type: "OAuthException", Code: 100}},
		{"BadShareToFeed", url.Values{"media_type": {"REELS"}, "video_url": {"https://x.test/v.mp4"}, "share_to_feed": {"maybe"}},
			graphErr{Status: 400, Type: "OAuthException", Code: 100}},
		{"CaptionTooLong", url.Values{"media_type": {"REELS"}, "video_url": {"https://x.test/v.mp4"}, "caption": {strings.Repeat("ж", 2201)}},
			graphErr{Status: 400, Type: "OAuthException", Code: 36004, Subcode: 2207010}},
		{"CarouselOfOne", url.Values{"media_type": {"CAROUSEL"}, "children": {"1788000000000001"}},
			graphErr{Status: 400, Type: "OAuthException", Code: 100, Subcode: 2207028}},
		{"CarouselUnknownChildren", url.Values{"media_type": {"CAROUSEL"}, "children": {"1788000000000001,1788000000000002"}},
			graphErr{Status: 400, Type: "OAuthException", Code: 100, Subcode: 2207028}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustStart(t, emulator.Config{})
			token := e.emu.IssueToken("alice", true)
			got, _ := mustGraphError(t, e.postGraph(t, "/v25.0/me/media", token, tt.params))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServer_MediaJSONBody(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1})
	token := e.emu.IssueToken("alice", true)
	body := `{"media_type":"STORIES","image_url":"https://x.test/a.jpg","share_to_feed":false}`
	var c created
	mustDecode(t, e.call(t, http.MethodPost, "/me/media", strings.NewReader(body),
		"Content-Type", "application/json", "Authorization", "Bearer "+token), http.StatusOK, &c)
	e.mustPublish(t, token, c.ID)
	if m := e.emu.Published("alice")[0]; m.MediaType != "IMAGE" || m.MediaProductType != "STORY" {
		t.Errorf("story = %s/%s, want IMAGE/STORY", m.MediaType, m.MediaProductType)
	}
}

func TestServer_Carousel(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: time.Minute})
	token := e.emu.IssueToken("alice", true)
	a := e.mustCreate(t, token, url.Values{"image_url": {"https://x.test/a.jpg"}, "is_carousel_item": {"true"}})
	b := e.mustCreate(t, token, url.Values{"image_url": {"https://x.test/b.jpg"}, "is_carousel_item": {"true"}})
	c := e.mustCreate(t, token, url.Values{"media_type": {"CAROUSEL"}, "children": {a.ID + "," + b.ID}, "caption": {"two"}})
	if st := e.mustStatus(t, token, c.ID); st.StatusCode != "IN_PROGRESS" {
		t.Errorf("carousel status = %s, want IN_PROGRESS", st.StatusCode)
	}
	e.emu.Advance(time.Minute)
	e.mustPublish(t, token, c.ID)
	if m := e.emu.Published("alice")[0]; m.MediaType != "CAROUSEL_ALBUM" || m.Caption != "two" {
		t.Errorf("carousel media = %+v", m)
	}
	// A failed child fails the carousel.
	d := e.mustCreate(t, token, url.Values{"image_url": {"https://x.test/d.jpg"}})
	f := e.mustCreate(t, token, url.Values{"media_type": {"CAROUSEL"}, "children": {a.ID + "," + d.ID}})
	e.emu.FailContainer(d.ID, "Error: bad image")
	if st := e.mustStatus(t, token, f.ID); st.StatusCode != "ERROR" {
		t.Errorf("carousel with a failed child = %s, want ERROR", st.StatusCode)
	}
}

func TestServer_ContainerOfAnotherUser(t *testing.T) {
	t.Parallel()
	e := mustStart(t, emulator.Config{ProcessingTime: -1})
	alice := e.emu.IssueToken("alice", true)
	bob := e.emu.IssueToken("bob", true)
	c := e.mustCreate(t, alice, reelsURL())
	got, _ := mustGraphError(t, e.getGraph(t, "/"+c.ID, bob, url.Values{"fields": {"status_code"}}))
	if want := (graphErr{Status: 400, Type: "GraphMethodException", Code: 100, Subcode: 33}); got != want {
		t.Errorf("bob reads alice's container = %+v, want %+v", got, want)
	}
	got, _ = mustGraphError(t, e.publish(t, bob, c.ID))
	if want := (graphErr{Status: 400, Type: "OAuthException", Code: 24, Subcode: 2207008}); got != want {
		t.Errorf("bob publishes alice's container = %+v, want %+v", got, want)
	}
	bad, _ := mustGraphError(t, e.getGraph(t, "/"+c.ID, alice, url.Values{"fields": {"nope"}}))
	if bad.Code != 100 {
		t.Errorf("unknown container field: code %d, want 100", bad.Code)
	}
	if got, _ := mustGraphError(t, e.postGraph(t, "/me/media_publish", alice, nil)); got.Code != 100 {
		t.Errorf("media_publish without creation_id: code %d, want 100", got.Code)
	}
}
