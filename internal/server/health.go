package server

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// handleHealthz is the liveness probe: the process serves HTTP.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness is the body of /readyz.
type readiness struct {
	Status   string     `json:"status"` // "ok" or "unavailable"
	Reason   string     `json:"reason,omitempty"`
	LastPass *time.Time `json:"last_refresh_pass,omitempty"`
}

// handleReadyz is the readiness probe: the store answers, and the refresh
// daemon, if this process runs one, completed a pass within three intervals.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var body readiness
	if s.cfg.Refresher != nil {
		body.LastPass = utcPtr(s.cfg.Refresher.LastPass())
	}
	if err := s.m.Store().Ping(ctx); err != nil {
		s.log.Warn("readiness: store ping failed", "err", err)
		body.Status, body.Reason = "unavailable", "the database does not answer"
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	if r := s.cfg.Refresher; r != nil && !r.Healthy(s.started) {
		body.Status = "unavailable"
		body.Reason = "the refresh daemon has not completed a pass in three intervals"
		if body.LastPass != nil {
			body.Reason += fmt.Sprintf(" (last at %s)", body.LastPass.Format(time.RFC3339))
		}
		s.log.Warn("readiness: refresher stale", "last_pass", r.LastPass())
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	body.Status = "ok"
	writeJSON(w, http.StatusOK, body)
}
