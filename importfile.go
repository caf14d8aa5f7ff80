package igtoken

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ImportItem is one token to bring in (DESIGN.md, `import`).
type ImportItem struct {
	Entry       string // where it came from, for messages: "line 3", "entry 2"
	AccessToken string
	Kind        TokenKind
	AccountID   string
	Username    string
	IssuedAt    time.Time
	ExpiresAt   time.Time
}

// importObject is the JSON form of an ImportItem.
type importObject struct {
	AccessToken string          `json:"access_token"`
	Kind        string          `json:"kind"`
	AccountID   json.RawMessage `json:"account_id"`
	Username    string          `json:"username"`
	IssuedAt    json.RawMessage `json:"issued_at"`
	ExpiresAt   json.RawMessage `json:"expires_at"`
}

// ParseImport reads tokens to import: a JSON array of objects, JSON lines
// (one object a line), or seed 000's config/api_keys.json, whose key
// instagram_access_token holds the token. Errors name the line or entry and
// never quote a token.
func ParseImport(r io.Reader) ([]ImportItem, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read import file: %w", err)
	}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return nil, errors.New("import file is empty: want a JSON array, JSON lines, or config/api_keys.json")
	case data[0] == '[':
		return parseArray(data)
	case data[0] != '{':
		return nil, errors.New("import file is not JSON: want a JSON array, JSON lines, or config/api_keys.json")
	}
	var whole map[string]json.RawMessage
	if json.Unmarshal(data, &whole) == nil {
		if raw, ok := whole["instagram_access_token"]; ok {
			return parseSeedConfig(raw)
		}
	}
	return parseLines(data)
}

func parseArray(data []byte) ([]ImportItem, error) {
	var objs []json.RawMessage
	if err := json.Unmarshal(data, &objs); err != nil {
		return nil, fmt.Errorf("import file: not a valid JSON array: %s", jsonProblem(err))
	}
	items := make([]ImportItem, 0, len(objs))
	var errs []error
	for i, raw := range objs {
		item, err := parseObject(raw, fmt.Sprintf("entry %d", i+1))
		errs = append(errs, err)
		items = append(items, item)
	}
	return items, errors.Join(errs...)
}

func parseLines(data []byte) ([]ImportItem, error) {
	var items []ImportItem
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		item, err := parseObject(line, fmt.Sprintf("line %d", n))
		errs = append(errs, err)
		items = append(items, item)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("import file: %w", err)
	}
	return items, errors.Join(errs...)
}

func parseSeedConfig(raw json.RawMessage) ([]ImportItem, error) {
	var tok string
	if err := json.Unmarshal(raw, &tok); err != nil || strings.TrimSpace(tok) == "" {
		return nil, errors.New("config file: instagram_access_token must be a non-empty string")
	}
	return []ImportItem{{Entry: "instagram_access_token", AccessToken: strings.TrimSpace(tok), Kind: LongLived}}, nil
}

func parseObject(raw []byte, entry string) (ImportItem, error) {
	var o importObject
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return ImportItem{}, fmt.Errorf("%s: %s", entry, jsonProblem(err))
	}
	item := ImportItem{Entry: entry, AccessToken: strings.TrimSpace(o.AccessToken), Kind: TokenKind(o.Kind), Username: o.Username}
	if item.Kind == "" {
		item.Kind = LongLived
	}
	var errs []error
	if item.AccessToken == "" {
		errs = append(errs, fmt.Errorf("%s: access_token is required", entry))
	}
	if !item.Kind.Valid() {
		errs = append(errs, fmt.Errorf("%s: kind %q: want %q or %q", entry, o.Kind, ShortLived, LongLived))
	}
	var err error
	if item.AccountID, err = parseID(o.AccountID); err != nil {
		errs = append(errs, fmt.Errorf("%s: account_id: %w", entry, err))
	}
	if item.IssuedAt, err = parseTime(o.IssuedAt); err != nil {
		errs = append(errs, fmt.Errorf("%s: issued_at: %w", entry, err))
	}
	if item.ExpiresAt, err = parseTime(o.ExpiresAt); err != nil {
		errs = append(errs, fmt.Errorf("%s: expires_at: %w", entry, err))
	}
	return item, errors.Join(errs...)
}

// jsonProblem describes a decoding error without quoting the input, which
// may hold a token.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s: want a %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ") + " (known: access_token, kind, account_id, username, issued_at, expires_at)"
	}
	return "invalid JSON"
}

// parseID accepts an id as a JSON string or number, never through float64:
// Instagram ids have 17 digits (§1.3).
func parseID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s), nil
	}
	if _, err := strconv.ParseUint(string(raw), 10, 64); err != nil {
		return "", errors.New("want a string or a whole number")
	}
	return string(raw), nil
}

// parseTime accepts RFC 3339 or Unix seconds.
func parseTime(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not RFC 3339 (e.g. 2026-01-31T12:00:00Z)", s)
		}
		return t.UTC(), nil
	}
	secs, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return time.Time{}, errors.New("want RFC 3339 text or Unix seconds")
	}
	return time.Unix(secs, 0).UTC(), nil
}
