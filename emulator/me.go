package emulator

import (
	"net/http"
	"strings"
)

// meFields are the /me fields the emulator answers (§1.6).
var meFields = map[string]func(User) string{
	"id":           func(u User) string { return u.AppScopedID },
	"user_id":      func(u User) string { return u.InstagramID },
	"username":     func(u User) string { return u.Username },
	"name":         func(u User) string { return "Emulated " + u.Username },
	"account_type": func(User) string { return "BUSINESS" },
}

// silentFields are real IG user fields (§1.6) the emulator leaves out, as
// Meta leaves out fields that have no value.
var silentFields = map[string]bool{
	"profile_picture_url": true, "followers_count": true, "follows_count": true,
	"media_count": true, "biography": true, "website": true, "ig_id": true,
}

// handleMe is GET /me and GET /{ig-user-id} (§1.6).
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	f := formValues(w, r)
	value := requestToken(r, f.Get("access_token"))
	if value == "" {
		writeGraphError(w, errNoToken(true))
		return
	}
	fields, err := parseFields(f.Get("fields"))
	if err != nil {
		writeGraphError(w, err)
		return
	}
	u, err := s.tokenOwner(value)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	if err := s.meterAccount(w, u); err != nil {
		writeGraphError(w, err)
		return
	}
	// /{id} answers for the token's own user only, by either id (§1.3).
	if id := r.PathValue("id"); !ownID(u, id) {
		writeGraphError(w, errNoObject(http.MethodGet, id))
		return
	}
	out := map[string]string{"id": u.AppScopedID}
	for _, name := range fields {
		if get, ok := meFields[name]; ok {
			out[name] = get(u)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// requestToken returns the access_token parameter, or else the token of an
// "Authorization: Bearer …" or "Authorization: OAuth …" header (§1.6, §5.2).
func requestToken(r *http.Request, param string) string {
	if param != "" {
		return param
	}
	scheme, value, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
		return ""
	}
	return strings.TrimSpace(value)
}

// parseFields splits the fields parameter; none means id and username.
func parseFields(param string) ([]string, *apiError) {
	if param == "" {
		return []string{"username"}, nil
	}
	var fields []string
	for name := range strings.SplitSeq(param, ",") {
		name = strings.TrimSpace(name)
		if _, ok := meFields[name]; !ok && !silentFields[name] {
			return nil, errNoField(name, "User")
		}
		fields = append(fields, name)
	}
	return fields, nil
}
