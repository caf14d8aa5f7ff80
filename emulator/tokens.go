package emulator

import "time"

// Token lifetimes (§1.3, §1.4, §1.5).
const (
	shortLivedTTL     = time.Hour
	exchangeExpiresIn = 5183944 // seconds; Meta's observed answer, ≈ 59.99 days (§1.4)
	refreshExpiresIn  = 5184000 // seconds; exactly 60 days (§1.5)
	refreshMinAge     = 24 * time.Hour
)

// token is what the emulator knows about one token string.
type token struct {
	owner     *user
	longLived bool
	issued    time.Time // last exchange or refresh of this string (§1.5)
	expires   time.Time
	revoked   bool
	subcode   int // 190 subcode when revoked
}

// IssueToken returns a new token for the user, creating the user if new, as
// if it had come out of the code exchange (short-lived, 1 h) or the
// long-lived exchange (5183944 s). It is issued at Now().
func (s *Server) IssueToken(username string, longLived bool) (token string) {
	value := newTokenValue()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addTokenLocked(s.userLocked(username), value, longLived, s.Now())
	return value
}

// TokenValid reports whether token exists, has not expired at Now() and has
// not been revoked.
func (s *Server) TokenValid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.checkLocked(token, s.Now())
	return err == nil
}

// Revoke makes every token issued so far to the user fail with code 190 and
// the given subcode: 458 (app removed), 460 (password changed), 459, 464,
// 467 … (§3.3). Tokens issued later, after a new login, work. Revoke does
// nothing for an unknown user.
func (s *Server) Revoke(username string, subcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return
	}
	for value := range u.tokens {
		t := s.tokens[value]
		t.revoked, t.subcode = true, subcode
	}
	s.log.Info("revoked", logKeyUser, username, logKeySubcode, subcode)
}

// addTokenLocked records a new token issued at now. s.mu must be held.
func (s *Server) addTokenLocked(u *user, value string, longLived bool, now time.Time) *token {
	ttl := shortLivedTTL
	if longLived {
		ttl = exchangeExpiresIn * time.Second
	}
	t := &token{owner: u, longLived: longLived, issued: now, expires: now.Add(ttl)}
	s.tokens[value] = t
	u.tokens[value] = struct{}{}
	return t
}

// removeTokenLocked forgets a token, which then reads as unknown.
func (s *Server) removeTokenLocked(value string) {
	if t, ok := s.tokens[value]; ok {
		delete(t.owner.tokens, value)
		delete(s.tokens, value)
	}
}

// checkLocked returns the token if it can be used at now, or the Graph error
// Meta would answer. s.mu must be held.
func (s *Server) checkLocked(value string, now time.Time) (*token, *apiError) {
	t, ok := s.tokens[value]
	switch {
	case !ok:
		return nil, errCannotParse()
	case t.revoked:
		return nil, errRevoked(t.subcode)
	case !now.Before(t.expires):
		return nil, errExpired(t.expires, now)
	}
	return t, nil
}

// tokenOwner returns the user of a usable token.
func (s *Server) tokenOwner(value string) (User, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.checkLocked(value, s.Now())
	if err != nil {
		return User{}, err
	}
	return t.owner.User, nil
}
