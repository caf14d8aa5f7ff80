package graph_test

import (
	"net/http"
	"sync"
)

// recorded keeps the last request a test server received.
type recorded struct {
	mu   sync.Mutex
	req  *http.Request
	body string
}

func (r *recorded) set(req *http.Request, body string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.req, r.body = req, body
}

func (r *recorded) get() (*http.Request, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.req, r.body
}
