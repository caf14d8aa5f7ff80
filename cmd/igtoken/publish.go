package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

// How long publish waits for Instagram to process the video, without and
// with --wait.
const (
	pollBrief    = 30 * time.Second
	pollWaitLong = 5 * time.Minute
)

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
	req := igtoken.PublishRequest{Caption: o.caption, ShareToFeed: o.shareToFeed, Wait: pollBrief}
	if o.wait {
		req.Wait = pollWaitLong
	}
	if strings.HasPrefix(o.video, "https://") || strings.HasPrefix(o.video, "http://") {
		req.VideoURL = o.video
	} else {
		file, size, err := openVideo(o.video)
		if err != nil {
			return err
		}
		defer file.Close()
		req.Video, req.Size, req.Progress = file, size, uploadProgress(cmd.ErrOrStderr(), size)
	}
	res, err := m.PublishReel(ctx, acc.ID, req)
	name := label(acc.Username, acc.ID)
	switch {
	case errors.Is(err, igtoken.ErrQuotaUsed):
		return &hintedError{msg: fmt.Sprintf("%s: %s", name, err),
			hint: "Instagram counts posts over a rolling window; try again later", err: err}
	case err != nil:
		return fmt.Errorf("publish for %s: %w", name, err)
	case res.MediaID == "":
		fmt.Fprintln(cmd.OutOrStdout(), res.ContainerID)
		fmt.Fprintf(cmd.ErrOrStderr(), "igtoken: container %s is still being processed after %s; it was not published\n"+
			"hint: check it with GET /%s?fields=status_code,status; next time use --wait\n", res.ContainerID, req.Wait, res.ContainerID)
		return &exitError{code: exitFailure}
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), res.MediaID)
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
