package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// graphParams returns a Graph call's parameters: the query plus an
// urlencoded, multipart or JSON body (§5.1, §6). In a JSON body a string
// value is taken as is and any other value (an object such as "recipient",
// a number, a boolean) as its JSON text, which is how the form-encoded
// variant sends objects too (§6: recipient={"id":"…"}).
func graphParams(w http.ResponseWriter, r *http.Request) (url.Values, *apiError) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		return formValues(w, r), nil
	}
	f := r.URL.Query()
	var body map[string]json.RawMessage
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes)).Decode(&body)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, errParam("The request body is not a valid JSON object")
	}
	for name, raw := range body {
		var v string
		if json.Unmarshal(raw, &v) != nil {
			v = string(raw)
		}
		f.Set(name, v)
	}
	return f, nil
}

// caller authenticates a Graph call: the access_token parameter or the
// Authorization header (§1.6, §6) must hold a usable token, else the
// token's 190 error. The call then counts against the token's user's
// budget (§4). On a user node or edge (/me/…, /{ig-user-id}/…) the path's
// id, when there is one, must be the user's, by either id (§1.3). On
// failure caller writes the error and reports false.
func (s *Server) caller(w http.ResponseWriter, r *http.Request, f url.Values, userPath bool) (User, bool) {
	value := requestToken(r, f.Get("access_token"))
	id := r.PathValue("id")
	if value == "" {
		writeGraphError(w, errNoToken(userPath && id == ""))
		return User{}, false
	}
	u, err := s.tokenOwner(value)
	if err == nil {
		err = s.meterAccount(w, u)
	}
	if err == nil && userPath && !ownID(u, id) {
		err = errNoObject(r.Method, id)
	}
	if err != nil {
		writeGraphError(w, err)
		return User{}, false
	}
	return u, true
}

// ownID reports whether a path's user id is u's; "" (for /me) is.
func ownID(u User, id string) bool {
	return id == "" || id == u.InstagramID || id == u.AppScopedID
}

// wantMethod writes Graph's answer to a method the endpoint does not serve
// and reports false.
func wantMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	writeGraphError(w, errUnknownPath(r.Method))
	return false
}

// fieldList splits a fields parameter, checking each name against known;
// none means def.
func fieldList(param string, known map[string]bool, nodeType string, def ...string) ([]string, *apiError) {
	if param == "" {
		return def, nil
	}
	var fields []string
	for name := range strings.SplitSeq(param, ",") {
		name = strings.TrimSpace(name)
		if !known[name] {
			return nil, errNoField(name, nodeType)
		}
		fields = append(fields, name)
	}
	return fields, nil
}
