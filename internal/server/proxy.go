package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/igtoken/igtoken/graph"
)

// maxProxyResponse bounds a Graph answer the proxy relays. Request bodies
// are bounded by limit (maxBodyBytes, 1 MiB).
const maxProxyResponse = 10 << 20

// proxyHeaders are the answer headers relayed to the caller besides the
// status: the content type and Meta's usage figures (instagram-api.md §4).
var proxyHeaders = []string{"Content-Type", "X-App-Usage", "X-Business-Use-Case-Usage"}

// credentialParams are parameters a caller may not send through the proxy:
// the proxy authenticates with the account's stored token (§8).
var credentialParams = []string{"access_token", "appsecret_proof", "appsecret_time"}

// handleGraphProxy relays GET, POST and DELETE
// /api/v1/accounts/{id}/graph/{path...} to the Graph host as the account:
// Manager.HTTPClient adds the stored token and recovers a 190 once. Only
// the account's own node is reachable: the first segment after an optional
// vNN.N version must be "me" or the account's Instagram id, else 403
// forbidden_path. Credentials the caller sends (access_token,
// appsecret_proof, an Authorization header) are dropped, and the token
// never appears in the answer.
func (s *Server) handleGraphProxy(w http.ResponseWriter, r *http.Request) {
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	target, err := s.proxyURL(r, a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, contentType, err := proxyBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The token now, for scrubbing the answer; the account's state is
	// checked before Meta is called.
	tok, err := s.m.Token(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // sets GetBody, so a recovered 190 can be retried
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, rd)
	if err != nil {
		s.writeError(w, r, badRequest("the Graph path cannot be requested"))
		return
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	client := s.m.HTTPClient(r.Context(), a.ID)
	// A redirect (e.g. to a CDN) is relayed, never followed: following it
	// would send the token to another host.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		s.writeError(w, r, proxyError(err))
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxProxyResponse+1))
	if err != nil {
		s.writeError(w, r, proxyError(err))
		return
	}
	if len(data) > maxProxyResponse {
		s.writeError(w, r, &Error{Status: http.StatusBadGateway, Code: CodeUpstream,
			Message: "Instagram's answer is larger than the proxy's 10 MiB limit"})
		return
	}
	secrets := s.proxySecrets(tok.Value)
	if now, err := s.m.Token(r.Context(), a.ID); err == nil && now.Value != tok.Value {
		secrets = append(secrets, s.proxySecrets(now.Value)...) // recovered during the call
	}
	data = []byte(scrub(string(data), secrets))

	h := w.Header()
	for _, name := range proxyHeaders {
		if v := resp.Header.Get(name); v != "" {
			h.Set(name, scrub(v, secrets))
		}
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		h.Set("Location", scrub(loc, secrets))
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(data) // the client went away; nothing to do
}

// proxyURL checks the {path...} of a proxy request and returns the Graph
// URL it stands for, with the caller's query minus any credentials.
func (s *Server) proxyURL(r *http.Request, accountID string) (string, error) {
	forbidden := func(msg string) error {
		return &Error{Status: http.StatusForbidden, Code: CodeForbiddenPath, Message: msg}
	}
	segs := strings.Split(r.PathValue("path"), "/")
	version := ""
	if isGraphVersion(segs[0]) {
		version, segs = segs[0], segs[1:]
	}
	for _, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return "", forbidden("the Graph path must be me/… or " + accountID + "/…, without empty, . or .. segments")
		}
	}
	if len(segs) == 0 || (segs[0] != "me" && segs[0] != accountID) {
		return "", forbidden("the proxy only reaches the account's own node: the path must start with me or " +
			accountID + " (after an optional version such as v23.0)")
	}
	c := s.m.Graph()
	if version == "" {
		version = strings.Trim(c.Version, "/")
	}
	if version != "" {
		segs = append([]string{version}, segs...)
	}
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	base := c.GraphURL
	if base == "" {
		base = graph.DefaultGraphURL
	}
	target := strings.TrimRight(base, "/") + "/" + strings.Join(segs, "/")
	q := r.URL.Query()
	dropCredentials(q)
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	return target, nil
}

// proxyBody reads the body of a POST or DELETE to relay, minus any
// credentials in it. Only urlencoded and JSON bodies are relayed, the two
// forms in which Graph reads parameters from a body and which the proxy
// can clean; nil means no body.
func proxyBody(r *http.Request) ([]byte, string, error) {
	if r.Method == http.MethodGet || r.Body == nil {
		return nil, "", nil
	}
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, "", &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
			Message: "the request body is larger than the 1 MiB limit"}
	}
	if err != nil {
		return nil, "", badRequest("the request body could not be read")
	}
	if len(body) == 0 {
		return nil, "", nil
	}
	contentType := r.Header.Get("Content-Type")
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, "", badRequest("the form body does not parse: %v", err)
		}
		dropCredentials(form)
		return []byte(form.Encode()), contentType, nil
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, "", badRequest("the JSON body must be an object: %v", err)
		}
		for name := range obj {
			if isCredentialParam(name) {
				delete(obj, name)
			}
		}
		body, err = json.Marshal(obj)
		if err != nil {
			return nil, "", err
		}
		return body, contentType, nil
	}
	return nil, "", &Error{Status: http.StatusUnsupportedMediaType, Code: CodeBadRequest,
		Message: "the proxy relays application/json or application/x-www-form-urlencoded bodies only"}
}

func dropCredentials(v url.Values) {
	for name := range v {
		if isCredentialParam(name) {
			v.Del(name)
		}
	}
}

func isCredentialParam(name string) bool {
	for _, p := range credentialParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// proxySecrets are the strings the proxy never relays for token value: the
// value and its appsecret_proof (§8).
func (s *Server) proxySecrets(value string) []string {
	secrets := []string{value}
	if secret := s.m.Graph().AppSecret; secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(value))
		secrets = append(secrets, hex.EncodeToString(mac.Sum(nil)))
	}
	return secrets
}

// scrub replaces every secret, as is or query-escaped, with [redacted],
// as graph.ParseError does for error messages.
func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		if v == "" {
			continue
		}
		s = strings.ReplaceAll(s, v, "[redacted]")
		s = strings.ReplaceAll(s, url.QueryEscape(v), "[redacted]")
	}
	return s
}

// proxyError drops net/http's *url.Error, whose message prints the Graph
// URL, and makes a failure with no better class an upstream failure.
func proxyError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if _, _, _, internal := classify(err); internal {
		return &graph.TransportError{Endpoint: "graph proxy", Err: err}
	}
	return err
}

// isGraphVersion reports whether s looks like "v23" or "v23.0".
func isGraphVersion(s string) bool {
	major, minor, hasMinor := strings.Cut(strings.TrimPrefix(s, "v"), ".")
	return strings.HasPrefix(s, "v") && isDigits(major) && (!hasMinor || isDigits(minor))
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
