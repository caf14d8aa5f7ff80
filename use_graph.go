package igtoken

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/igtoken/igtoken/graph"
)

// ErrOutsideWindow means Instagram refused a message because the user has
// not written to the account in the last 24 hours (§6). It is not a token
// problem: the account stays as it is.
var ErrOutsideWindow = errors.New("outside the 24-hour messaging window")

// ErrQuotaUsed means the account's content publishing quota is used up (§4.1).
var ErrQuotaUsed = errors.New("the content publishing quota is used up")

// SendMessage sends text from account id to the user with Instagram-scoped
// id to, and returns the message id. A stale token is recovered once; a
// message is never sent twice.
func (m *Manager) SendMessage(ctx context.Context, id, to, text string) (string, error) {
	var sent *graph.SentMessage
	err := m.Do(ctx, id, func(ctx context.Context, token string) (err error) {
		sent, err = m.graph.SendMessage(ctx, token, id, to, text)
		return err
	})
	if graph.IsOutsideWindow(err) {
		return "", fmt.Errorf("%w: %w", ErrOutsideWindow, err)
	}
	if err != nil {
		return "", fmt.Errorf("send a message from %s: %w", id, err)
	}
	return sent.MessageID, nil
}

// PublishRequest describes a video to publish as a Reel.
type PublishRequest struct {
	VideoURL string      // a public URL Instagram fetches; or:
	Video    io.ReaderAt // the bytes to upload (resumable, §5.2)
	Size     int64       // of Video
	Caption  string
	// ShareToFeed shows the Reel in the feed too.
	ShareToFeed bool
	// Wait bounds how long to wait for Instagram to process the video.
	Wait time.Duration
	// Progress, if set, is told how many bytes were uploaded.
	Progress func(sent int64)
}

// PublishResult says what PublishReel did. ContainerID is set once a
// container exists; MediaID once the Reel is published.
type PublishResult struct {
	ContainerID string
	MediaID     string
}

// Container status polling (§5.3): the first pause and the longest.
const (
	pollFirst = 500 * time.Millisecond
	pollMax   = 10 * time.Second
)

// PublishReel publishes a video as a Reel of account id: it checks the
// token and the live publishing quota before anything is uploaded, creates
// a container, uploads the video if it is local, waits for Instagram to
// process it, and publishes it once (§5). If processing outlasts req.Wait
// the result holds the container id and no media id, and nothing is
// published.
func (m *Manager) PublishReel(ctx context.Context, id string, req PublishRequest) (*PublishResult, error) {
	if err := m.checkQuota(ctx, id); err != nil {
		return nil, err
	}
	p := graph.ReelsParams{VideoURL: req.VideoURL, Caption: req.Caption, ShareToFeed: req.ShareToFeed, Resumable: req.Video != nil}
	var ct *graph.Container
	if err := m.Do(ctx, id, func(ctx context.Context, token string) (err error) {
		ct, err = m.graph.CreateReelsContainer(ctx, token, id, p)
		return err
	}); err != nil {
		return nil, fmt.Errorf("create a Reels container: %w", err)
	}
	res := &PublishResult{ContainerID: ct.ID}
	if req.Video != nil {
		err := m.Do(ctx, id, func(ctx context.Context, token string) error {
			return m.graph.Upload(ctx, token, ct.URI, req.Video, req.Size, req.Progress)
		})
		if err != nil {
			return res, fmt.Errorf("upload to container %s: %w", ct.ID, err)
		}
	}
	if ready, err := m.awaitContainer(ctx, id, ct.ID, req.Wait); err != nil || !ready {
		return res, err
	}
	// media_publish once: only a token error, on which nothing was
	// published, is retried (by Do).
	err := m.Do(ctx, id, func(ctx context.Context, token string) (err error) {
		res.MediaID, err = m.graph.Publish(ctx, token, id, ct.ID)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("publish container %s: %w", ct.ID, err)
	}
	return res, nil
}

// checkQuota refuses to start when the token is unusable or the live
// quota has no room (read it: it has been 25, 50 and 100, §4.1).
func (m *Manager) checkQuota(ctx context.Context, id string) error {
	var q *graph.Quota
	err := m.Do(ctx, id, func(ctx context.Context, token string) (err error) {
		q, err = m.graph.PublishingLimit(ctx, token, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("read the publishing quota: %w", err)
	}
	if q.Usage >= q.Total {
		return fmt.Errorf("%w: %d of %d posts in the last %s; nothing was uploaded", ErrQuotaUsed, q.Usage, q.Total, q.Duration)
	}
	return nil
}

// awaitContainer polls the container's status with backoff until it is
// FINISHED (true), fails, or limit passes (false).
func (m *Manager) awaitContainer(ctx context.Context, id, containerID string, limit time.Duration) (bool, error) {
	deadline := time.Now().Add(limit)
	for pause := pollFirst; ; pause = min(2*pause, pollMax) {
		var st *graph.ContainerStatus
		err := m.Do(ctx, id, func(ctx context.Context, token string) (err error) {
			st, err = m.graph.ContainerStatus(ctx, token, containerID)
			return err
		})
		switch {
		case err != nil && !graph.IsTransient(err):
			return false, fmt.Errorf("check container %s: %w", containerID, err)
		case err != nil: // transient: look again after the pause
		case st.Code == graph.StatusFinished:
			return true, nil
		case st.Code == graph.StatusError, st.Code == graph.StatusExpired, st.Code == graph.StatusPublished:
			return false, fmt.Errorf("container %s is %s: %s; create a new one", containerID, st.Code, st.Status)
		}
		if time.Now().Add(pause).After(deadline) {
			return false, nil
		}
		if err := sleep(ctx, pause); err != nil {
			return false, err
		}
	}
}
