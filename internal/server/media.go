package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/igtoken/igtoken"
)

// Bounds of wait_seconds on POST …/media.
const (
	maxPublishWait = 300 * time.Second
	// publishMargin is kept out of the wait, before the request's deadline,
	// for media_publish itself: a deadline that hit during media_publish
	// would leave the caller unsure whether the Reel was published.
	publishMargin = 5 * time.Second
)

// mediaRequest is the body of POST /api/v1/accounts/{id}/media.
type mediaRequest struct {
	VideoURL    string `json:"video_url"` // a public http(s) URL Instagram fetches
	Caption     string `json:"caption"`
	ShareToFeed bool   `json:"share_to_feed"`
	// WaitSeconds bounds the wait for Instagram to process the video: 0
	// (the default) looks once, at most 300.
	WaitSeconds int `json:"wait_seconds"`
}

type mediaResponse struct {
	ContainerID string `json:"container_id"`
	MediaID     string `json:"media_id,omitempty"`
}

// handlePublishMedia publishes a video, given by URL, as a Reel of the
// account (Manager.PublishReel; no uploads over the API). It answers 201
// with the media id once published, or 202 with the container id while
// Instagram is still processing the video. The wait is bounded by
// wait_seconds, and by the request's own deadline (Config.RequestTimeout)
// minus publishMargin. A used-up quota answers 429 quota_used, before any
// container is created.
func (s *Server) handlePublishMedia(w http.ResponseWriter, r *http.Request) {
	var req mediaRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.VideoURL = strings.TrimSpace(req.VideoURL)
	if req.VideoURL == "" {
		s.writeError(w, r, badRequest(`"video_url" is required`))
		return
	}
	if u, err := url.Parse(req.VideoURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		s.writeError(w, r, badRequest(`"video_url" must be an absolute http(s) URL that Instagram can fetch`))
		return
	}
	if req.WaitSeconds < 0 {
		s.writeError(w, r, badRequest(`"wait_seconds" must not be negative`))
		return
	}
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wait := min(time.Duration(req.WaitSeconds)*time.Second, maxPublishWait)
	if deadline, ok := r.Context().Deadline(); ok {
		wait = max(0, min(wait, time.Until(deadline)-publishMargin))
	}
	res, err := s.m.PublishReel(r.Context(), a.ID, igtoken.PublishRequest{
		VideoURL: req.VideoURL, Caption: req.Caption, ShareToFeed: req.ShareToFeed, Wait: wait,
	})
	if err != nil {
		if res != nil && res.ContainerID != "" {
			s.log.Warn("publishing failed after the container was created", "account_id", a.ID,
				"container_id", res.ContainerID, "err", err)
		}
		s.writeError(w, r, err)
		return
	}
	if res.MediaID == "" {
		s.log.Info("reel still processing", "account_id", a.ID, "container_id", res.ContainerID)
		writeJSON(w, http.StatusAccepted, mediaResponse{ContainerID: res.ContainerID})
		return
	}
	s.log.Info("reel published", "account_id", a.ID, "container_id", res.ContainerID, "media_id", res.MediaID)
	writeJSON(w, http.StatusCreated, mediaResponse{ContainerID: res.ContainerID, MediaID: res.MediaID})
}
