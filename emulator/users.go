package emulator

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is an emulated Instagram professional account.
type User struct {
	Username string
	// InstagramID is the Instagram account id: 17 digits starting "1784",
	// the user_id that /me returns and API paths use (§1.6).
	InstagramID string
	// AppScopedID is the app-scoped id: the user_id of the code exchange
	// and the id of /me (§1.3). It never equals InstagramID.
	AppScopedID string
}

// user is a User and what it owns.
type user struct {
	User
	tokens     map[string]struct{}  // token values, for Revoke
	windows    map[string]time.Time // IGSID → when they last messaged the account (§6)
	messages   []Message            // sent, oldest first
	containers []*container         // created, oldest first (§5.1)
	published  []*media             // published, oldest first (§5.4)
}

// AddUser returns the user with that username, creating it if new. An empty
// username creates a new user named user_<n>.
func (s *Server) AddUser(username string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userLocked(username).User
}

// User returns the user with that username, if it exists.
func (s *Server) User(username string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return User{}, false
	}
	return u.User, true
}

// Users returns every user, sorted by username.
func (s *Server) Users() []User {
	s.mu.Lock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u.User)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Username, b.Username) })
	return out
}

// userLocked returns the named user, creating it if new; "" creates
// user_<n>. s.mu must be held.
func (s *Server) userLocked(username string) *user {
	if username == "" {
		username = s.freshNameLocked()
	}
	if u, ok := s.users[username]; ok {
		return u
	}
	u := &user{tokens: make(map[string]struct{}), windows: make(map[string]time.Time)}
	u.Username = username
	// Instagram account ids start "1784" (§1.6); app-scoped ids here start
	// with 2-9 so that a client mixing them up fails loudly.
	u.InstagramID = s.freshIDLocked("1784")
	u.AppScopedID = s.freshIDLocked(randomString("23456789", 1))
	s.users[username] = u
	s.byID[u.InstagramID] = u
	s.byID[u.AppScopedID] = u
	return u
}

func (s *Server) freshNameLocked() string {
	for {
		s.nextUser++
		name := "user_" + strconv.Itoa(s.nextUser)
		if _, taken := s.users[name]; !taken {
			return name
		}
	}
}

// freshIDLocked returns an unused 17-digit id starting with prefix.
func (s *Server) freshIDLocked(prefix string) string {
	for {
		id := prefix + randomString(digits, 17-len(prefix))
		if _, taken := s.byID[id]; !taken {
			return id
		}
	}
}
