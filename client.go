package igtoken

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/igtoken/igtoken/graph"
)

// TokenSource returns an oauth2.TokenSource that always hands out account
// id's stored token, as long as it is usable. The Manager refreshes tokens
// on its own schedule; the source only reads.
func (m *Manager) TokenSource(ctx context.Context, id string) oauth2.TokenSource {
	return &tokenSource{ctx: ctx, m: m, id: id}
}

type tokenSource struct {
	ctx context.Context
	m   *Manager
	id  string
}

func (s *tokenSource) Token() (*oauth2.Token, error) {
	tok, err := s.m.Token(s.ctx, s.id)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: tok.Value, TokenType: "Bearer", Expiry: tok.ExpiresAt}, nil
}

// HTTPClient returns a client for Graph API calls made as account id: its
// transport adds the stored token (and appsecret_proof on graph.facebook.com,
// §8) and, when Meta answers error 190, recovers the token with Recover and
// retries the request once.
func (m *Manager) HTTPClient(ctx context.Context, id string) *http.Client {
	base := http.DefaultTransport
	if hc := m.graph.HTTPClient; hc != nil && hc.Transport != nil {
		base = hc.Transport // the same rate limit and metrics as the Manager's own calls
	}
	return &http.Client{Transport: &transport{m: m, id: id, base: base}}
}

type transport struct {
	m    *Manager
	id   string
	base http.RoundTripper
}

// maxErrorBody bounds how much of a failed response is read to classify it.
const maxErrorBody = 1 << 20

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.GetBody != nil {
		defer req.Body.Close() // every attempt sends a copy from GetBody
	}
	tok, err := t.m.Token(req.Context(), t.id)
	if err != nil {
		return nil, err
	}
	resp, err := t.send(req, tok.Value)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read Graph error response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	gerr := graph.ParseError(strings.Trim(req.URL.Path, "/"), resp.StatusCode, body, tok.Value)
	if gerr == nil || gerr.Code != 190 {
		return resp, nil
	}
	fresh, err := t.m.Recover(req.Context(), t.id, tok.Value, gerr)
	if err != nil {
		return nil, err
	}
	if req.Body != nil && req.GetBody == nil {
		return nil, fmt.Errorf("the token was recovered, but the request body cannot be sent again: %w", gerr)
	}
	return t.send(req, fresh.Value)
}

// send makes one attempt with token value on a copy of req, paced by
// Meta's usage figures (§4), and records the figures of the answer.
func (t *transport) send(req *http.Request, value string) (*http.Response, error) {
	if err := t.m.pace(req.Context(), t.id); err != nil {
		return nil, err
	}
	resp, err := t.attempt(req, value)
	if err == nil {
		u := graph.ParseUsage(resp.Header)
		var cause error
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest {
			cause = throttleHint(resp)
		}
		t.m.pacer.observe(t.id, u, u.Known(), cause, time.Now())
	}
	return resp, err
}

// throttleHint peeks at an error answer's code without consuming its body.
func throttleHint(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	if e := graph.ParseError("", resp.StatusCode, body); e != nil {
		return e
	}
	return nil
}

// attempt sends a copy of req with token value.
func (t *transport) attempt(req *http.Request, value string) (*http.Response, error) {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	r.Header.Set("Authorization", "Bearer "+value)
	if secret := t.m.graph.AppSecret; secret != "" && strings.HasSuffix(r.URL.Hostname(), "graph.facebook.com") {
		q := r.URL.Query()
		q.Set("appsecret_proof", appSecretProof(secret, value))
		r.URL.RawQuery = q.Encode()
	}
	return t.base.RoundTrip(r)
}

// appSecretProof is hex(HMAC-SHA256(app secret, token)) (§8).
func appSecretProof(secret, token string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}
