package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/igtoken/igtoken"
)

// Payload is the JSON body of a webhook request. Receivers may decode into
// it. It has no field that could hold a token, and must never get one.
type Payload struct {
	// ID is the webhook-id header: unique per event, the same on every retry
	// of it, so receivers can drop duplicates.
	ID        string            `json:"id"`
	Type      igtoken.EventType `json:"type"`
	Timestamp time.Time         `json:"timestamp"` // when the event happened, RFC 3339 UTC
	Data      PayloadData       `json:"data"`
}

// PayloadData describes the account an event is about.
type PayloadData struct {
	AccountID string    `json:"account_id"`
	Username  string    `json:"username,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // when the token expires, if known
	Reason    string    `json:"reason,omitempty"`
}

// Webhook delivers each event as a JSON [Payload] POSTed to URL and signed the
// Standard Webhooks way (https://www.standardwebhooks.com): headers
// webhook-id, webhook-timestamp (Unix seconds of the attempt) and
// webhook-signature ("v1," + base64 of HMAC-SHA256 over
// id + "." + timestamp + "." + body). Receivers check it with [Verify] or any
// Standard Webhooks library.
//
// Notify retries network errors, 5xx and 429 responses (honouring
// Retry-After) with exponential backoff and full jitter, until Retry.Attempts
// run out or ctx ends; other responses outside 2xx fail at once. Notify
// blocks while it retries: wrap a Webhook in [NewAsync] to keep it off the
// caller's path.
//
// The zero value of every field but URL is usable. A Webhook is safe for
// concurrent use.
type Webhook struct {
	// URL receives the POSTs. Errors and logs show only its scheme and host,
	// because some receivers (Slack, Discord) keep a secret in the path.
	URL string
	// Secret is the signing key: either "whsec_" followed by the base64 of
	// the key, as Standard Webhooks issues them, or any other string, used
	// as the key byte for byte. Empty sends requests unsigned.
	Secret string
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
	// Logger gets a line for each failed attempt that will be retried; the
	// final error is returned, not logged. Nil means discard.
	Logger *slog.Logger
	// Retry bounds the attempts. Zero fields take the defaults: 5 attempts,
	// waiting up to 1 s before the second, doubling, at most 1 min. A
	// Retry-After longer than Retry.Max is cut to Retry.Max.
	Retry igtoken.Backoff
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

var _ igtoken.Notifier = (*Webhook)(nil)

// Notify delivers e, retrying as described on [Webhook].
func (w *Webhook) Notify(ctx context.Context, e igtoken.Event) error {
	key, err := decodeSecret(w.Secret)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	now := orNow(w.Now)
	id := "msg_" + rand.Text()
	body, err := json.Marshal(newPayload(id, e, now()))
	if err != nil {
		return fmt.Errorf("webhook: encode %s: %w", e.Type, err)
	}
	retry := w.retry()
	for attempt := 1; ; attempt++ {
		retryAfter, retryable, err := w.post(ctx, key, id, body)
		if err == nil {
			return nil
		}
		if !retryable || attempt >= retry.Attempts {
			return fmt.Errorf("webhook: deliver %s %s: attempt %d: %w", e.Type, id, attempt, err)
		}
		wait := backoff(retry, attempt)
		if retryAfter >= 0 {
			wait = min(retryAfter, retry.Max)
		}
		orDiscard(w.Logger).LogAttrs(ctx, slog.LevelInfo, "webhook delivery failed; will retry",
			append(eventAttrs(e), slog.String("webhook_id", id), slog.Int("attempt", attempt),
				slog.Duration("wait", wait), slog.Any("err", err))...)
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("webhook: deliver %s %s: stopped after attempt %d: %w (last error: %w)",
				e.Type, id, attempt, serr, err)
		}
	}
}

func newPayload(id string, e igtoken.Event, now time.Time) Payload {
	at := e.At
	if at.IsZero() {
		at = now
	}
	p := Payload{
		ID:        id,
		Type:      e.Type,
		Timestamp: at.UTC().Truncate(time.Second),
		Data: PayloadData{
			AccountID: e.AccountID,
			Username:  e.Username,
			Reason:    scrub(e.Reason),
		},
	}
	if !e.ExpiresAt.IsZero() {
		p.Data.ExpiresAt = e.ExpiresAt.UTC().Truncate(time.Second)
	}
	return p
}

// post makes one attempt. retryAfter is the wait the receiver asked for, or
// -1 if it asked for none; retryable says whether another attempt may help.
func (w *Webhook) post(ctx context.Context, key []byte, id string, body []byte) (retryAfter time.Duration, retryable bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return -1, false, errors.New("invalid URL") // the parse error would quote the URL
	}
	now := orNow(w.Now)()
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "igtoken-webhook")
	req.Header.Set(headerID, id)
	req.Header.Set(headerTimestamp, ts)
	if len(key) > 0 {
		req.Header.Set(headerSignature, "v1,"+sign(key, id, ts, body))
	}
	resp, err := w.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text is the whole URL
		}
		return -1, true, fmt.Errorf("POST %s: %w", w.origin(), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, false, nil
	}
	err = fmt.Errorf("POST %s: %s", w.origin(), resp.Status)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return parseRetryAfter(resp.Header.Get("Retry-After"), now), true, err
	}
	return -1, false, err
}

func (w *Webhook) client() *http.Client {
	if w.Client != nil {
		return w.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (w *Webhook) retry() igtoken.Backoff {
	b := w.Retry
	if b.Attempts <= 0 {
		b.Attempts = 5
	}
	if b.Base <= 0 {
		b.Base = time.Second
	}
	if b.Max <= 0 {
		b.Max = time.Minute
	}
	return b
}

// origin is the URL without its path, query and user info.
func (w *Webhook) origin() string {
	u, err := url.Parse(w.URL)
	if err != nil || u.Host == "" {
		return "webhook URL"
	}
	return u.Scheme + "://" + u.Host
}

// backoff is the wait after the given failed attempt (1-based): full jitter
// over an exponentially growing, capped ceiling.
func backoff(b igtoken.Backoff, attempt int) time.Duration {
	ceil := b.Base << (attempt - 1)
	if ceil > b.Max || ceil <= 0 {
		ceil = b.Max
	}
	return time.Duration(mrand.Int64N(int64(ceil)) + 1)
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date;
// it returns -1 if there is none it understands.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return -1
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

func sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err // select would pick at random if the timer fired too
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
