package emulator

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Content publishing (§5): a container is created (POST /{ig-user-id}/media),
// gets its bytes from a URL or a resumable upload (rupload.go), is processed,
// then published once (POST /{ig-user-id}/media_publish).

const (
	containerTTL    = 24 * time.Hour // "Containers expire after 24 hours" (§4.1, §5.3)
	publishWindow   = 24 * time.Hour // quota_duration (§4.1)
	maxCaptionRunes = 2200           // §5.5, 36004/2207010
	minCarousel     = 2              // §5.5, 100/2207028
	maxCarousel     = 10
)

// Container status codes (§5.3).
const (
	StatusInProgress = "IN_PROGRESS"
	StatusFinished   = "FINISHED"
	StatusPublished  = "PUBLISHED"
	StatusError      = "ERROR"
	StatusExpired    = "EXPIRED"
)

// defaultContainerError is FailContainer's status when given none: the
// observed text for an unsupported video format (§5.3, §5.5 352/2207026).
const defaultContainerError = "Error: Media upload has failed with error code 2207026"

// Media types a container is created with (§5.1).
const (
	typeImage    = "IMAGE"
	typeVideo    = "VIDEO"
	typeReels    = "REELS"
	typeStories  = "STORIES"
	typeCarousel = "CAROUSEL"
)

// container is a media container (§5.1, §5.3). s.mu guards it.
type container struct {
	id          string
	owner       *user
	mediaType   string // as created: IMAGE, VIDEO, REELS, STORIES or CAROUSEL
	caption     string
	shareToFeed bool
	sourceURL   string       // image_url, video_url or the upload's file_url
	children    []*container // of a carousel
	created     time.Time
	resumable   bool      // upload_type=resumable: bytes come through rupload
	complete    bool      // every byte is in
	readyAt     time.Time // when processing ends, once complete
	offset      int64     // bytes uploaded
	fileSize    int64     // the upload's file_size, 0 until declared
	sum         hash.Hash // SHA-256 of the bytes uploaded so far
	uploading   bool      // an upload request is reading its body
	failed      string    // the status text of an injected ERROR
	media       *media    // once published
}

// media is a published media (§5.4).
type media struct {
	Media
	owner *user
}

// Media is a media an account published through the emulator.
type Media struct {
	ID          string // the IG media id that media_publish returned
	ContainerID string // its creation_id
	// MediaType and MediaProductType are what Graph reports: a REELS
	// container becomes VIDEO and REELS (§5.4), STORIES become IMAGE or
	// VIDEO and STORY, a CAROUSEL becomes CAROUSEL_ALBUM and FEED.
	MediaType, MediaProductType string
	Caption                     string
	ShareToFeed                 bool
	SourceURL                   string // image_url, video_url or file_url; "" for an upload
	Size                        int64  // bytes uploaded; 0 unless resumable
	SHA256                      string // hex SHA-256 of the uploaded bytes; "" unless resumable
	PublishedAt                 time.Time
}

// Container is a media container as the emulator sees it at Now().
type Container struct {
	ID         string
	Username   string
	MediaType  string // as created: IMAGE, VIDEO, REELS, STORIES or CAROUSEL
	StatusCode string // IN_PROGRESS, FINISHED, PUBLISHED, ERROR or EXPIRED (§5.3)
	Status     string // the status text
	Resumable  bool   // created with upload_type=resumable
	Offset     int64  // bytes uploaded so far
	FileSize   int64  // the upload's declared file_size; 0 until declared
	CreatedAt  time.Time
	MediaID    string // once published
}

// statusLocked returns c's status code and text at now (§5.3). s.mu must be
// held.
func (s *Server) statusLocked(c *container, now time.Time) (code, text string) {
	switch {
	case c.media != nil:
		return StatusPublished, "Published: Media has been published"
	case c.failed != "":
		return StatusError, c.failed
	case now.Sub(c.created) >= containerTTL:
		return StatusExpired, "Expired: Media was not published within 24 hours"
	}
	for _, child := range c.children {
		switch code, text := s.statusLocked(child, now); code {
		case StatusError, StatusExpired:
			return code, text
		case StatusInProgress:
			return code, "In Progress: A carousel item is still being processed"
		}
	}
	if !c.complete || now.Before(c.readyAt) {
		return StatusInProgress, "In Progress: Media is still being processed"
	}
	return StatusFinished, "Finished: Media has been uploaded"
}

// finishLocked marks c's bytes as all in at now; processing starts.
func (s *Server) finishLocked(c *container, now time.Time) {
	c.complete, c.readyAt = true, now.Add(s.cfg.ProcessingTime)
}

// freshObjectIDLocked returns an unused 17-digit id starting with prefix,
// for a container ("1788…") or a media ("18…"); user ids start "1784" or
// 2-9, so the kinds never collide. s.mu must be held.
func (s *Server) freshObjectIDLocked(prefix string) string {
	for {
		id := prefix + randomString(digits, 17-len(prefix))
		if !s.isObjectLocked(id) {
			return id
		}
	}
}

// isObject reports whether id is a container or a media.
func (s *Server) isObject(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isObjectLocked(id)
}

func (s *Server) isObjectLocked(id string) bool {
	_, c := s.containers[id]
	_, m := s.media[id]
	return c || m
}

// containerSpec is a validated POST /{ig-user-id}/media (§5.1).
type containerSpec struct {
	mediaType   string
	caption     string
	shareToFeed bool
	sourceURL   string
	resumable   bool
	children    []string
}

// parseContainer checks the parameters of POST /{ig-user-id}/media (§5.1,
// §5.5).
func parseContainer(f url.Values) (containerSpec, *apiError) {
	spec := containerSpec{
		mediaType: strings.ToUpper(f.Get("media_type")),
		caption:   f.Get("caption"),
		resumable: f.Get("upload_type") == "resumable",
	}
	if t := f.Get("upload_type"); t != "" && !spec.resumable {
		return spec, errParam("Param upload_type must be resumable")
	}
	if v := f.Get("share_to_feed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return spec, errParam("Param share_to_feed must be a boolean")
		}
		spec.shareToFeed = b
	}
	if utf8.RuneCountInString(spec.caption) > maxCaptionRunes {
		return spec, &apiError{Type: "OAuthException", Code: 36004, Subcode: 2207010,
			Message: "The caption is too long", UserTitle: "Caption too long",
			UserMsg: "The caption must be at most 2,200 characters long."}
	}
	image, video := f.Get("image_url"), f.Get("video_url")
	switch spec.mediaType {
	case "", typeImage:
		spec.mediaType, spec.sourceURL = typeImage, image
		if image == "" {
			return spec, errParam("The parameter image_url is required")
		}
		if spec.resumable {
			return spec, errParam("upload_type=resumable is for videos")
		}
	case typeReels, typeVideo:
		spec.sourceURL = video
		if video == "" && !spec.resumable {
			return spec, errParam("The parameter video_url is required")
		}
	case typeStories:
		spec.sourceURL = cmp.Or(video, image)
		if spec.sourceURL == "" && !spec.resumable {
			return spec, errParam("The parameter video_url or image_url is required")
		}
	case typeCarousel:
		spec.children = strings.FieldsFunc(f.Get("children"), func(r rune) bool { return r == ',' || r == ' ' })
		if n := len(spec.children); n < minCarousel || n > maxCarousel {
			return spec, &apiError{Type: "OAuthException", Code: 100, Subcode: 2207028,
				Message: "(#100) A carousel must have between 2 and 10 children"}
		}
	default:
		return spec, &apiError{Type: "OAuthException", Code: 100, Subcode: 2207023,
			Message: "(#100) The media type " + spec.mediaType + " is not supported"}
	}
	if spec.resumable && spec.sourceURL != "" {
		return spec, errParam("upload_type=resumable takes no video_url or image_url")
	}
	return spec, nil
}

// handleMedia is POST /{ig-user-id}/media (§5.1): it creates a container
// and answers {"id"}, plus the upload "uri" for upload_type=resumable.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	if !wantMethod(w, r, http.MethodPost) {
		return
	}
	f, err := graphParams(w, r)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	u, ok := s.caller(w, r, f, true)
	if !ok {
		return
	}
	spec, err := parseContainer(f)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	c, err := s.createContainer(u, spec)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	out := map[string]string{"id": c.id}
	if c.resumable {
		// Practitioners see the upload URI here; Meta's docs don't show it (§5.1).
		out["uri"] = baseURL(r) + "/rupload/ig-api/" + apiVersion(r.URL.Path) + "/" + c.id
	}
	writeJSON(w, http.StatusOK, out)
}

// baseURL is the scheme and host the request came to.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// createContainer records a container for u, within the 24-hour container
// limit (§4.1).
func (s *Server) createContainer(u User, spec containerSpec) (*container, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	owner := s.users[u.Username]
	recent := 0
	for _, c := range slices.Backward(owner.containers) {
		if now.Sub(c.created) >= containerTTL {
			break // older ones are older still
		}
		recent++
	}
	if recent >= s.cfg.ContainerLimit {
		// The limit is documented (§4.1); the answer is not. Code 9 as for the
		// publishing limit, without its subcode.
		return nil, &apiError{Type: "OAuthException", Code: 9, Message: fmt.Sprintf(
			"(#9) The Instagram account has reached its limit of %d media containers in 24 hours", s.cfg.ContainerLimit)}
	}
	c := &container{
		mediaType: spec.mediaType, caption: spec.caption, shareToFeed: spec.shareToFeed,
		sourceURL: spec.sourceURL, resumable: spec.resumable, created: now, owner: owner,
		sum: sha256.New(),
	}
	for _, id := range spec.children {
		child := s.containers[id]
		if child == nil || child.owner != owner || child.mediaType == typeCarousel {
			return nil, &apiError{Type: "OAuthException", Code: 100, Subcode: 2207028,
				Message: "(#100) The carousel child " + id + " is not a media container of this account"}
		}
		c.children = append(c.children, child)
	}
	if !c.resumable {
		s.finishLocked(c, now) // a URL's bytes are in at once
	}
	c.id = s.freshObjectIDLocked("1788")
	s.containers[c.id] = c
	owner.containers = append(owner.containers, c)
	return c, nil
}

// containerFields and mediaFields are the fields GET /{id} answers (§5.3).
var (
	containerFields = map[string]bool{"id": true, "status_code": true, "status": true, "copyright_check_status": true}
	mediaFields     = map[string]bool{"id": true, "media_type": true, "media_product_type": true, "caption": true,
		"timestamp": true, "username": true}
)

// handleContainer is GET /{container-id}?fields=status_code,status (§5.3),
// and GET /{media-id} for a published media.
func (s *Server) handleContainer(w http.ResponseWriter, r *http.Request) {
	if !wantMethod(w, r, http.MethodGet) {
		return
	}
	f := formValues(w, r)
	u, ok := s.caller(w, r, f, false)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	now := s.Now()
	c, m := s.containers[id], s.media[id]
	var out map[string]any
	var err *apiError
	switch {
	case c != nil && c.owner.Username == u.Username:
		out, err = s.containerJSONLocked(c, now, f.Get("fields"))
	case m != nil && m.owner.Username == u.Username:
		out, err = mediaJSON(m, f.Get("fields"))
	default:
		err = errNoObject(r.Method, id)
	}
	s.mu.Unlock()
	if err != nil {
		writeGraphError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) containerJSONLocked(c *container, now time.Time, param string) (map[string]any, *apiError) {
	fields, err := fieldList(param, containerFields, "ShadowIGMediaBuilder", "id")
	if err != nil {
		return nil, err
	}
	code, text := s.statusLocked(c, now)
	out := map[string]any{"id": c.id}
	for _, name := range fields {
		switch name {
		case "status_code":
			out[name] = code
		case "status":
			out[name] = text
		case "copyright_check_status":
			status := "in_progress"
			if code == StatusFinished || code == StatusPublished {
				status = "completed"
			}
			out[name] = map[string]any{"status": status, "matches_found": false}
		}
	}
	return out, nil
}

func mediaJSON(m *media, param string) (map[string]any, *apiError) {
	fields, err := fieldList(param, mediaFields, "Media", "id")
	if err != nil {
		return nil, err
	}
	out := map[string]any{"id": m.ID}
	for _, name := range fields {
		switch name {
		case "media_type":
			out[name] = m.MediaType
		case "media_product_type":
			out[name] = m.MediaProductType
		case "caption":
			if m.Caption != "" {
				out[name] = m.Caption
			}
		case "timestamp":
			out[name] = m.PublishedAt.UTC().Format("2006-01-02T15:04:05-0700")
		case "username":
			out[name] = m.owner.Username
		}
	}
	return out, nil
}

// handleMediaPublish is POST /{ig-user-id}/media_publish?creation_id=… (§5.4).
// A container is published at most once.
func (s *Server) handleMediaPublish(w http.ResponseWriter, r *http.Request) {
	if !wantMethod(w, r, http.MethodPost) {
		return
	}
	f, err := graphParams(w, r)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	u, ok := s.caller(w, r, f, true)
	if !ok {
		return
	}
	id := f.Get("creation_id")
	if id == "" {
		writeGraphError(w, errMissingParam("creation_id"))
		return
	}
	m, err := s.publish(u, id)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	s.log.Info("published", logKeyUser, u.Username)
	writeJSON(w, http.StatusOK, map[string]string{"id": m.ID})
}

// publish turns u's FINISHED container id into a media (§5.4).
func (s *Server) publish(u User, id string) (*media, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	owner := s.users[u.Username]
	c := s.containers[id]
	if c == nil || c.owner != owner {
		return nil, &apiError{Type: "OAuthException", Code: 24, Subcode: 2207008, Message: "(#24) Media builder with creation id = " +
			id + " does not exist or has been expired."} // §5.5
	}
	code, text := s.statusLocked(c, now)
	switch code {
	case StatusPublished:
		// Meta's answer is undocumented (§5.4); never publish twice.
		return nil, &apiError{Type: "OAuthException", Code: 100,
			Message: "(#100) This media container has already been published"}
	case StatusError:
		return nil, &apiError{Type: "OAuthException", Code: -1, Subcode: 2207053,
			Message: "An unknown error occurred", UserTitle: "Upload failed",
			UserMsg: text + ". Create a new container."} // §5.5 -1/2207053
	case StatusExpired:
		return nil, &apiError{Type: "OAuthException", Code: -2, Subcode: 2207020,
			Message: "The media has expired", UserTitle: "Media expired",
			UserMsg: "The media container expired before it was published. Create a new container."} // §5.5 -2/2207020
	}
	if s.publishedSinceLocked(owner, now.Add(-publishWindow)) >= s.cfg.PublishQuota {
		return nil, &apiError{Type: "OAuthException", Code: 9, Subcode: 2207042, // §4.1, §5.5
			Message: "Application request limit reached", UserTitle: "Publishing limit reached",
			UserMsg: "You reached maximum number of posts that is allowed to be published by Content Publishing API."}
	}
	if code == StatusInProgress {
		return nil, &apiError{Type: "OAuthException", Code: 9007, Subcode: 2207027, // §5.4
			Message: "Media ID is not available", UserTitle: "Media Not Ready For Publishing",
			UserMsg: "The media is not ready for publishing, please wait for a moment"}
	}
	m := &media{owner: owner, Media: Media{
		ID: s.freshObjectIDLocked("18"), ContainerID: c.id, Caption: c.caption, ShareToFeed: c.shareToFeed,
		SourceURL: c.sourceURL, PublishedAt: now,
	}}
	m.MediaType, m.MediaProductType = publishedType(c)
	if c.resumable {
		m.Size, m.SHA256 = c.offset, hex.EncodeToString(c.sum.Sum(nil))
	}
	c.media = m
	s.media[m.ID] = m
	owner.published = append(owner.published, m)
	return m, nil
}

// publishedType maps a container's media_type to the media's media_type and
// media_product_type (§5.4).
func publishedType(c *container) (mediaType, productType string) {
	video := c.resumable || strings.Contains(c.sourceURL, ".mp4") || strings.Contains(c.sourceURL, ".mov")
	switch c.mediaType {
	case typeReels:
		return typeVideo, "REELS"
	case typeVideo:
		return typeVideo, "FEED"
	case typeStories:
		if video {
			return typeVideo, "STORY"
		}
		return typeImage, "STORY"
	case typeCarousel:
		return "CAROUSEL_ALBUM", "FEED"
	}
	return typeImage, "FEED"
}

// publishedSinceLocked counts owner's publishes after since. s.mu must be
// held.
func (s *Server) publishedSinceLocked(owner *user, since time.Time) int {
	n := 0
	for _, m := range slices.Backward(owner.published) {
		if !m.PublishedAt.After(since) {
			break
		}
		n++
	}
	return n
}

// publishingLimitFields are the fields of content_publishing_limit (§4.1).
var publishingLimitFields = map[string]bool{"quota_usage": true, "config": true}

type publishingLimit struct {
	QuotaUsage *int         `json:"quota_usage,omitempty"`
	Config     *quotaConfig `json:"config,omitempty"`
}

type quotaConfig struct {
	QuotaTotal    int `json:"quota_total"`
	QuotaDuration int `json:"quota_duration"`
}

// handlePublishingLimit is GET /{ig-user-id}/content_publishing_limit
// ?fields=quota_usage,config[&since=<unix time>] (§4.1): the publishes in
// the last 24 h of emulated time, or since "since" if that is later.
func (s *Server) handlePublishingLimit(w http.ResponseWriter, r *http.Request) {
	if !wantMethod(w, r, http.MethodGet) {
		return
	}
	f := formValues(w, r)
	u, ok := s.caller(w, r, f, true)
	if !ok {
		return
	}
	fields, err := fieldList(f.Get("fields"), publishingLimitFields, "ContentPublishingLimitResponse", "quota_usage")
	if err != nil {
		writeGraphError(w, err)
		return
	}
	s.mu.Lock()
	now := s.Now()
	since := now.Add(-publishWindow)
	if v := f.Get("since"); v != "" {
		unix, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			s.mu.Unlock()
			writeGraphError(w, errParam("Param since must be a Unix time"))
			return
		}
		if t := time.Unix(unix, 0); t.After(since) {
			since = t
		}
	}
	usage := s.publishedSinceLocked(s.users[u.Username], since)
	s.mu.Unlock()
	var item publishingLimit
	for _, name := range fields {
		switch name {
		case "quota_usage":
			item.QuotaUsage = &usage
		case "config":
			item.Config = &quotaConfig{QuotaTotal: s.cfg.PublishQuota, QuotaDuration: int(publishWindow / time.Second)}
		}
	}
	writeJSON(w, http.StatusOK, map[string][]publishingLimit{"data": {item}})
}

// Published returns the media the account has published, oldest first:
// one per successful media_publish, so tests can check nothing is
// published twice.
func (s *Server) Published(username string) []Media {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return nil
	}
	out := make([]Media, len(u.published))
	for i, m := range u.published {
		out[i] = m.Media
	}
	return out
}

// Container returns the media container with that id as of Now().
func (s *Server) Container(id string) (Container, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.containers[id]
	if !ok {
		return Container{}, false
	}
	code, text := s.statusLocked(c, s.Now())
	out := Container{
		ID: c.id, Username: c.owner.Username, MediaType: c.mediaType, StatusCode: code, Status: text,
		Resumable: c.resumable, Offset: c.offset, FileSize: c.fileSize, CreatedAt: c.created,
	}
	if c.media != nil {
		out.MediaID = c.media.ID
	}
	return out, true
}

// FailContainer puts the container in status ERROR with the given status
// text (§5.3), as when Meta cannot process the media; "" means "Error:
// Media upload has failed with error code 2207026". A published container
// stays PUBLISHED. It reports whether the container exists.
func (s *Server) FailContainer(id, status string) bool {
	if status == "" {
		status = defaultContainerError
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.containers[id]
	if ok {
		c.failed = status
	}
	return ok
}
