package graph

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DefaultUploadURL is Meta's resumable upload host (§5.2).
const DefaultUploadURL = "https://rupload.facebook.com"

// Container status codes (§5.3).
const (
	StatusInProgress = "IN_PROGRESS"
	StatusFinished   = "FINISHED"
	StatusPublished  = "PUBLISHED"
	StatusError      = "ERROR"
	StatusExpired    = "EXPIRED"
)

// Upload retry bounds: attempts per Upload call and the first pause between
// them, which doubles.
const (
	uploadAttempts = 5
	uploadPause    = 250 * time.Millisecond
)

// Quota is an account's content publishing limit (§4.1).
type Quota struct {
	Usage    int           // publishes in the current window
	Total    int           // publishes allowed per window; read it, Meta changes it
	Duration time.Duration // the rolling window, 24 h at present
}

// Left is how many more publishes the quota allows now.
func (q *Quota) Left() int { return max(0, q.Total-q.Usage) }

// PublishingLimit reads the account's live content publishing quota with GET
// /{ig-user-id}/content_publishing_limit?fields=quota_usage,config (§4.1).
func (c *Client) PublishingLimit(ctx context.Context, token, igUserID string) (*Quota, error) {
	var resp struct {
		Data []struct {
			QuotaUsage int `json:"quota_usage"`
			Config     *struct {
				QuotaTotal    int `json:"quota_total"`
				QuotaDuration int `json:"quota_duration"` // seconds
			} `json:"config"`
		} `json:"data"`
	}
	q := url.Values{"fields": {"quota_usage,config"}}
	if err := c.get(ctx, endpointPublishingLimit, c.nodeURL(igUserID, "content_publishing_limit"), q, token, &resp); err != nil {
		return nil, err
	}
	if len(resp.Data) == 0 || resp.Data[0].Config == nil {
		return nil, malformed(endpointPublishingLimit, "no config")
	}
	d := resp.Data[0]
	return &Quota{Usage: d.QuotaUsage, Total: d.Config.QuotaTotal,
		Duration: time.Duration(d.Config.QuotaDuration) * time.Second}, nil
}

// ReelsParams describe a REELS container (§5.1).
type ReelsParams struct {
	VideoURL    string // a public URL Meta fetches the video from; empty with Resumable
	Caption     string
	ShareToFeed bool
	Resumable   bool // upload_type=resumable: the bytes follow with Upload
}

// Container is a media container (§5.1).
type Container struct {
	ID  string
	URI string // where Upload sends the bytes; set when resumable
}

// CreateReelsContainer creates a REELS container with POST
// /{ig-user-id}/media (§5.1). For a resumable one, URI is the upload URI
// Instagram returned or, without one, Meta's documented rupload URI (§5.2).
func (c *Client) CreateReelsContainer(ctx context.Context, token, igUserID string, p ReelsParams) (*Container, error) {
	form := url.Values{"media_type": {"REELS"}}
	if p.Resumable {
		form.Set("upload_type", "resumable")
	} else {
		form.Set("video_url", p.VideoURL)
	}
	if p.Caption != "" {
		form.Set("caption", p.Caption)
	}
	if p.ShareToFeed {
		form.Set("share_to_feed", "true")
	}
	var resp struct {
		ID  jsonID `json:"id"`
		URI string `json:"uri"`
	}
	if err := c.postBearer(ctx, endpointMedia, c.nodeURL(igUserID, "media"), form, token, &resp); err != nil {
		return nil, err
	}
	if resp.ID == "" {
		return nil, malformed(endpointMedia, "no id")
	}
	ct := &Container{ID: string(resp.ID), URI: resp.URI}
	if p.Resumable && ct.URI == "" {
		ct.URI = DefaultUploadURL + "/ig-api-upload" + c.versionPath() + "/" + url.PathEscape(ct.ID)
	}
	return ct, nil
}

// Upload sends the size bytes of r to a resumable container's upload URI
// (§5.2), with "Authorization: OAuth <token>" and the headers offset and
// file_size. When the connection drops, or Instagram answers a transient
// error, it asks the upload URI for the offset it has (GET, answered
// {"offset":n}) and resumes from there, at most uploadAttempts times in
// all. progress, if not nil, is called with the bytes sent so far.
func (c *Client) Upload(ctx context.Context, token, uploadURI string, r io.ReaderAt, size int64, progress func(sent int64)) error {
	if progress == nil {
		progress = func(int64) {}
	}

	var offset int64
	pause := uploadPause
	var err error
	for attempt := 1; ; attempt++ {
		progress(offset)
		if err = c.uploadFrom(ctx, token, uploadURI, r, offset, size, progress); err == nil {
			progress(size)
			return nil
		}
		if ctx.Err() != nil || !IsTransient(err) || attempt == uploadAttempts {
			return err
		}
		if serr := sleepCtx(ctx, pause); serr != nil {
			return err
		}
		pause *= 2
		if off, oerr := c.uploadOffset(ctx, token, uploadURI); oerr == nil && off >= 0 && off <= size {
			offset = off
		} else if oerr != nil && !IsTransient(oerr) {
			return oerr
		}
	}
}

// uploadFrom sends r's bytes from offset to size in one request.
func (c *Client) uploadFrom(ctx context.Context, token, uploadURI string, r io.ReaderAt, offset, size int64, progress func(int64)) error {
	body := &countingReader{r: io.NewSectionReader(r, offset, size-offset), n: offset, progress: progress}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uploadURI, body)
	if err != nil {
		return requestError(endpointUpload, err)
	}
	req.ContentLength = size - offset
	if req.ContentLength == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Authorization", "OAuth "+token)
	req.Header.Set("offset", strconv.FormatInt(offset, 10))
	req.Header.Set("file_size", strconv.FormatInt(size, 10))
	req.Header.Set("Content-Type", "application/octet-stream")
	var resp struct {
		Success bool   `json:"success"`
		Message string `json:"message"`
	}
	if err := c.send(req, endpointUpload, []string{token}, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return malformed(endpointUpload, "success is not true")
	}
	return nil
}

// uploadOffset asks the upload URI how many bytes it holds.
func (c *Client) uploadOffset(ctx context.Context, token, uploadURI string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uploadURI, nil)
	if err != nil {
		return 0, requestError(endpointUpload, err)
	}
	req.Header.Set("Authorization", "OAuth "+token)
	var resp struct {
		Offset *int64 `json:"offset"`
	}
	if err := c.send(req, endpointUpload, []string{token}, &resp); err != nil {
		return 0, err
	}
	if resp.Offset == nil {
		return 0, malformed(endpointUpload, "no offset")
	}
	return *resp.Offset, nil
}

// countingReader reports the bytes read through it, counted from n.
type countingReader struct {
	r        io.Reader
	n        int64
	progress func(int64)
}

func (cr *countingReader) Read(p []byte) (int, error) {
	k, err := cr.r.Read(p)
	if k > 0 {
		cr.n += int64(k)
		cr.progress(cr.n)
	}
	return k, err
}

// ContainerStatus is a container's processing state (§5.3).
type ContainerStatus struct {
	Code   string // StatusInProgress, StatusFinished, StatusPublished, StatusError or StatusExpired
	Status string // Meta's text, e.g. "Error: Media upload has failed with error code 2207026"
}

// ContainerStatus reads a container's status with GET
// /{container-id}?fields=status_code,status (§5.3).
func (c *Client) ContainerStatus(ctx context.Context, token, containerID string) (*ContainerStatus, error) {
	var resp struct {
		StatusCode string `json:"status_code"`
		Status     string `json:"status"`
	}
	q := url.Values{"fields": {"status_code,status"}}
	if err := c.get(ctx, endpointContainer, c.nodeURL(containerID, ""), q, token, &resp); err != nil {
		return nil, err
	}
	if resp.StatusCode == "" {
		return nil, malformed(endpointContainer, "no status_code")
	}
	return &ContainerStatus{Code: resp.StatusCode, Status: resp.Status}, nil
}

// Publish publishes a FINISHED container with POST
// /{ig-user-id}/media_publish?creation_id=… and returns the media id
// (§5.4). It never retries: a container must not be published twice.
func (c *Client) Publish(ctx context.Context, token, igUserID, containerID string) (string, error) {
	var resp struct {
		ID jsonID `json:"id"`
	}
	form := url.Values{"creation_id": {containerID}}
	if err := c.postBearer(ctx, endpointMediaPublish, c.nodeURL(igUserID, "media_publish"), form, token, &resp); err != nil {
		return "", err
	}
	if resp.ID == "" {
		return "", malformed(endpointMediaPublish, "no id")
	}
	return string(resp.ID), nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
