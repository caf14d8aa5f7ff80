package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers.
const (
	headerID        = "webhook-id"
	headerTimestamp = "webhook-timestamp"
	headerSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from the receiver's
// clock when Verify is given no tolerance, as Standard Webhooks recommends.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns, wrapped with detail; compare with errors.Is.
var (
	// ErrSignature means the headers are missing or malformed, or no
	// signature in them matches the body.
	ErrSignature = errors.New("webhook signature is invalid")
	// ErrTimestamp means the webhook-timestamp is too far from now: a replay,
	// or a clock that is badly off.
	ErrTimestamp = errors.New("webhook timestamp is outside the tolerance")
)

// Verify checks that header and body make a webhook request signed with
// secret the Standard Webhooks way, as [Webhook] sends them, and that its
// webhook-timestamp is within tolerance of now (tolerance <= 0 means
// [DefaultTolerance]). secret takes the same two forms as Webhook.Secret. The
// webhook-signature header may list several space-separated signatures, as
// during a key rotation; one valid "v1" signature is enough. Signatures are
// compared in constant time.
//
// Receivers should also drop a webhook-id they have already processed: a
// retry of a delivery that succeeded but whose response was lost carries the
// same id.
func Verify(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	if len(key) == 0 {
		return errors.New("webhook secret is empty")
	}
	id, ts, sigs := header.Get(headerID), header.Get(headerTimestamp), header.Get(headerSignature)
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("%w: missing %s, %s or %s header", ErrSignature, headerID, headerTimestamp, headerSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed %s %q", ErrSignature, headerTimestamp, ts)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s is %s from now", ErrTimestamp, headerTimestamp, d.Round(time.Second))
	}
	want := mac(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches", ErrSignature)
}

// sign returns the base64 v1 signature of one request.
func sign(key []byte, id, ts string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(key, id, ts, body))
}

func mac(key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id + "." + ts + "."))
	h.Write(body)
	return h.Sum(nil)
}

// decodeSecret returns the signing key: the base64-decoded part of a
// "whsec_" secret, or any other secret's bytes as they are.
func decodeSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhook secret starts with whsec_ but the rest is not base64") // never quote the secret
	}
	return key, nil
}
