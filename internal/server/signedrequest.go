package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// signedAlgorithm is the only algorithm Meta signs with (instagram-api.md §7.1).
const signedAlgorithm = "HMAC-SHA256"

// signedPayload is the part of a signed_request payload the callbacks use.
type signedPayload struct {
	Algorithm string `json:"algorithm"`
	// UserID is the app-scoped user id; Meta sends a string, some SDKs a number.
	UserID   flexibleID `json:"user_id"`
	IssuedAt int64      `json:"issued_at"`
	Expires  int64      `json:"expires"`
}

// flexibleID is an id sent as a JSON string or number.
type flexibleID string

func (id *flexibleID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*id = flexibleID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*id = flexibleID(n.String())
	return nil
}

// Reasons a signed_request is refused.
var (
	errSignedMalformed = errors.New("signed_request is malformed")
	errSignedSignature = errors.New("signed_request signature does not match")
	errSignedAlgorithm = errors.New("signed_request algorithm is not " + signedAlgorithm)
	errSignedNoUser    = errors.New("signed_request has no user_id")
)

// SignRequest returns a signed_request for payload, as Meta makes them:
// base64url(HMAC-SHA256(appSecret, encoded payload)) "." base64url(JSON
// payload), without padding (instagram-api.md §7.1). If payload is a JSON
// object without "algorithm", "HMAC-SHA256" is added. Tests and the sandbox
// use it to call /meta/deauthorize and /meta/data-deletion.
func SignRequest(appSecret string, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("sign request: %w", err)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil && obj != nil {
		if _, ok := obj["algorithm"]; !ok {
			obj["algorithm"] = json.RawMessage(`"` + signedAlgorithm + `"`)
			if body, err = json.Marshal(obj); err != nil {
				return "", fmt.Errorf("sign request: %w", err)
			}
		}
	}
	encoded := base64.RawURLEncoding.EncodeToString(body)
	return base64.RawURLEncoding.EncodeToString(signPayload(appSecret, encoded)) + "." + encoded, nil
}

func signPayload(secret, encoded string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(encoded))
	return h.Sum(nil)
}

// parseSignedRequest verifies sr with appSecret and decodes its payload.
// The signature is HMAC-SHA256 over the payload as sent, still encoded, and
// is compared in constant time. Padding is optional on both parts.
func parseSignedRequest(sr, appSecret string) (*signedPayload, error) {
	encSig, encPayload, ok := strings.Cut(strings.TrimSpace(sr), ".")
	if !ok || encSig == "" || encPayload == "" {
		return nil, errSignedMalformed
	}
	sig, err := decodeBase64URL(encSig)
	if err != nil {
		return nil, errSignedMalformed
	}
	valid := hmac.Equal(sig, signPayload(appSecret, encPayload))
	if trimmed := strings.TrimRight(encPayload, "="); !valid && trimmed != encPayload {
		// Signed without padding, padded on the way.
		valid = hmac.Equal(sig, signPayload(appSecret, trimmed))
	}
	if !valid {
		return nil, errSignedSignature
	}
	body, err := decodeBase64URL(encPayload)
	if err != nil {
		return nil, errSignedMalformed
	}
	var p signedPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, errSignedMalformed
	}
	if !strings.EqualFold(p.Algorithm, signedAlgorithm) {
		return nil, errSignedAlgorithm
	}
	if p.UserID == "" {
		return nil, errSignedNoUser
	}
	return &p, nil
}

// decodeBase64URL decodes base64url with or without padding; the standard
// alphabet is accepted too.
func decodeBase64URL(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return base64.RawURLEncoding.DecodeString(s)
}
