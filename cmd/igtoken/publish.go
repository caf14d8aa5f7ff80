package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/graph"
)

// How publish polls a container's status (§5.3): the first pause, the
// longest, and how long it waits without and with --wait.
const (
	pollFirst    = 500 * time.Millisecond
	pollMax      = 10 * time.Second
	pollBrief    = 30 * time.Second
	pollWaitLong = 5 * time.Minute
)

// errQuotaUsed says the account may not publish more for now.
var errQuotaUsed = errors.New("the content publishing quota is used up")

type publishOptions struct {
	account, video, caption string
	shareToFeed, wait       bool
}

func newPublishCmd(a *app) *cobra.Command {
	var o publishOptions
	cmd := &cobra.Command{
		Use:   "publish [--account ID|USERNAME] --video FILE|URL [--caption TEXT] [--share-to-feed] [--wait]",
		Short: "Publish a video as a Reel",
		Long: `Publish a video as an Instagram Reel, and print the media id.

--video is a public http(s) URL Instagram fetches, or a local file igtoken
uploads (resuming after a dropped connection). Before anything is uploaded,
igtoken checks that the token is usable and that the account's live
publishing quota has room left.

Instagram then processes the video. igtoken waits up to 30 seconds for it,
or up to 5 minutes with --wait, and publishes it once.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.video == "" {
				return usageErrorf(cmd, "--video is required")
			}
			return runPublish(cmd, a, o)
		},
	}
	addAccountFlag(cmd, &o.account, "the publishing account (needed when several are stored)")
	cmd.Flags().StringVar(&o.video, "video", "", "the video: a local file or a public http(s) URL")
	cmd.Flags().StringVar(&o.caption, "caption", "", "the caption")
	cmd.Flags().BoolVar(&o.shareToFeed, "share-to-feed", false, "show the Reel in the feed too")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait up to 5 minutes for Instagram to process the video")
	return cmd
}

func runPublish(cmd *cobra.Command, a *app, o publishOptions) error {
	ctx := cmd.Context()
	m, err := a.manager(ctx)
	if err != nil {
		return err
	}
	acc, err := a.resolve(ctx, m, o.account)
	if err != nil {
		return err
	}
	name := label(acc.Username, acc.ID)
	isURL := strings.HasPrefix(o.video, "https://") || strings.HasPrefix(o.video, "http://")
	var file *os.File
	var size int64
	if !isURL {
		if file, size, err = openVideo(o.video); err != nil {
			return err
		}
		defer file.Close()
	}

	// Pre-flight: a usable token, and room in the live quota (§4.1).
	if _, err := m.Token(ctx, acc.ID); err != nil {
		return err
	}
	client := a.graphClient()
	var quota *graph.Quota
	if err := m.Do(ctx, acc.ID, func(ctx context.Context, token string) (err error) {
		quota, err = client.PublishingLimit(ctx, token, acc.ID)
		return err
	}); err != nil {
		return fmt.Errorf("read the publishing quota of %s: %w", name, err)
	}
	if quota.Usage >= quota.Total {
		return &hintedError{
			msg:  fmt.Sprintf("%s: %s: %d of %d posts in the last %s; nothing was uploaded", name, errQuotaUsed, quota.Usage, quota.Total, quota.Duration),
			hint: "Instagram counts posts over a rolling window; try again later",
			err:  errQuotaUsed,
		}
	}

	p := graph.ReelsParams{VideoURL: o.video, Caption: o.caption, ShareToFeed: o.shareToFeed, Resumable: !isURL}
	if !isURL {
		p.VideoURL = ""
	}
	var ct *graph.Container
	if err := m.Do(ctx, acc.ID, func(ctx context.Context, token string) (err error) {
		ct, err = client.CreateReelsContainer(ctx, token, acc.ID, p)
		return err
	}); err != nil {
		return fmt.Errorf("create a Reels container for %s: %w", name, err)
	}
	if !isURL {
		progress := uploadProgress(cmd.ErrOrStderr(), size)
		err := m.Do(ctx, acc.ID, func(ctx context.Context, token string) error {
			return client.Upload(ctx, token, ct.URI, file, size, progress)
		})
		if err != nil {
			return fmt.Errorf("upload %s to container %s: %w", o.video, ct.ID, err)
		}
	}

	limit := pollBrief
	if o.wait {
		limit = pollWaitLong
	}
	done, err := awaitContainer(ctx, m, client, acc.ID, ct.ID, limit)
	if err != nil {
		return err
	}
	if !done {
		fmt.Fprintln(cmd.OutOrStdout(), ct.ID)
		fmt.Fprintf(cmd.ErrOrStderr(), "igtoken: container %s is still being processed after %s; it was not published\n"+
			"hint: check it with GET /%s?fields=status_code,status; next time use --wait\n", ct.ID, limit, ct.ID)
		return &exitError{code: exitFailure}
	}

	// media_publish once: only a token error, on which nothing was
	// published, is retried (by Manager.Do).
	var mediaID string
	if err := m.Do(ctx, acc.ID, func(ctx context.Context, token string) (err error) {
		mediaID, err = client.Publish(ctx, token, acc.ID, ct.ID)
		return err
	}); err != nil {
		return fmt.Errorf("publish container %s of %s: %w", ct.ID, name, err)
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), mediaID)
	return err
}

// openVideo opens a local video file and returns its size.
func openVideo(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open the video: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || fi.Size() == 0) {
		err = fmt.Errorf("%s is not a video file", path)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// awaitContainer polls the container's status with backoff (§5.3) until it
// is FINISHED (true), fails, or limit passes (false).
func awaitContainer(ctx context.Context, m *igtoken.Manager, client *graph.Client, id, containerID string, limit time.Duration) (bool, error) {
	deadline := time.Now().Add(limit)
	pause := pollFirst
	for {
		var st *graph.ContainerStatus
		err := m.Do(ctx, id, func(ctx context.Context, token string) (err error) {
			st, err = client.ContainerStatus(ctx, token, containerID)
			return err
		})
		switch {
		case err != nil && !graph.IsTransient(err):
			return false, fmt.Errorf("check container %s: %w", containerID, err)
		case err != nil:
			// Try again after the pause, like IN_PROGRESS.
		case st.Code == graph.StatusFinished:
			return true, nil
		case st.Code == graph.StatusError, st.Code == graph.StatusExpired, st.Code == graph.StatusPublished:
			return false, fmt.Errorf("container %s is %s: %s; create a new one", containerID, st.Code, st.Status)
		}
		if time.Now().Add(pause).After(deadline) {
			return false, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, pollMax)
	}
}

// uploadProgress returns a progress function that draws a progress line on
// w when w is a terminal, and does nothing otherwise.
func uploadProgress(w io.Writer, size int64) func(int64) {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	last := int64(-1)
	return func(sent int64) {
		pct := sent * 100 / size
		if pct == last {
			return
		}
		last = pct
		fmt.Fprintf(w, "\ruploading: %3d%% (%d of %d bytes)", pct, sent, size)
		if sent == size {
			fmt.Fprintln(w)
		}
	}
}
