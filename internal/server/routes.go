package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes registers every route of the service on mux.
func (s *Server) routes(mux *http.ServeMux) {
	// OAuth web login.
	mux.HandleFunc("GET /connect", s.handleConnect)
	mux.HandleFunc("GET "+s.callbackPath, s.handleCallback)

	// Admin API.
	mux.HandleFunc("GET /api/v1/accounts", s.requireAdmin(s.handleAccountList))
	mux.HandleFunc("GET /api/v1/accounts/{id}", s.requireAdmin(s.handleAccount))
	mux.HandleFunc("POST /api/v1/accounts/{id}/refresh", s.requireAdmin(s.handleAccountRefresh))
	mux.HandleFunc("GET /api/v1/accounts/{id}/token", s.requireAdmin(s.handleAccountToken))
	mux.HandleFunc("GET /api/v1/accounts/{id}/history", s.requireAdmin(s.handleAccountHistory))
	mux.HandleFunc("DELETE /api/v1/accounts/{id}", s.requireAdmin(s.handleAccountDelete))

	// Use the tokens without holding them (issue 5).
	mux.HandleFunc("POST /api/v1/accounts/{id}/messages", s.requireAdmin(s.handleSendMessage))
	mux.HandleFunc("POST /api/v1/accounts/{id}/media", s.requireAdmin(s.handlePublishMedia))
	mux.HandleFunc("GET /api/v1/accounts/{id}/graph/{path...}", s.requireAdmin(s.handleGraphProxy))
	mux.HandleFunc("POST /api/v1/accounts/{id}/graph/{path...}", s.requireAdmin(s.handleGraphProxy))
	mux.HandleFunc("DELETE /api/v1/accounts/{id}/graph/{path...}", s.requireAdmin(s.handleGraphProxy))
	mux.HandleFunc("/api/", s.requireAdmin(s.handleAPINotFound))

	// Meta's app callbacks (instagram-api.md §7).
	mux.HandleFunc("POST /meta/deauthorize", s.handleDeauthorize)
	mux.HandleFunc("POST /meta/data-deletion", s.handleDataDeletion)
	mux.HandleFunc("GET /meta/deletion-status/{code}", s.handleDeletionStatus)

	// Operations.
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: promLogger{s.log}}))

	// Dashboard.
	if s.cfg.Dashboard != nil {
		mux.Handle("/", s.cfg.Dashboard)
	}
}
