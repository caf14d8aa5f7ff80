package metrics

import (
	"github.com/igtoken/igtoken/graph"

	"net/http"
	"strconv"
	"strings"
	"time"
)

// InstrumentHandler counts the requests next serves by route pattern and
// status, and times them. The route is the pattern of the http.ServeMux
// that served the request (r.Pattern, set by next), so ids in paths never
// become labels; requests no pattern matched are labelled "unmatched".
func (m *Metrics) InstrumentHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.httpRequests.WithLabelValues(route, strconv.Itoa(sw.status())).Inc()
		m.httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// InstrumentTransport wraps rt (nil means http.DefaultTransport) so that
// every request to Instagram is counted by endpoint and result, and timed.
// The endpoint is the URL path without the Graph version prefix and with
// numeric ids replaced by {id}; the query, which carries tokens, is never
// looked at. Use it as the Transport of graph.Client's HTTPClient.
func (m *Metrics) InstrumentTransport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		endpoint := EndpointLabel(r.URL.Path)
		start := time.Now()
		resp, err := rt.RoundTrip(r)
		m.graphDuration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		result := "error"
		if err == nil {
			result = strconv.Itoa(resp.StatusCode/100) + "xx"
			m.observeUsage(graph.ParseUsage(resp.Header))
		}
		m.graphRequests.WithLabelValues(endpoint, result).Inc()
		return resp, err
	})
}

// observeUsage keeps the usage figures an answer carried.
func (m *Metrics) observeUsage(u graph.Usage) {
	if u.App >= 0 {
		m.graphUsage.WithLabelValues("app").Set(float64(u.App))
	}
	if u.Business >= 0 {
		m.graphUsage.WithLabelValues("business").Set(float64(u.Business))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// EndpointLabel turns a Graph URL path into a label: "/v23.0/me" → "/me",
// "/v23.0/17841400000000000/media" → "/{id}/media", "/" → "/".
func EndpointLabel(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 0 && isVersion(parts[0]) {
		parts = parts[1:]
	}
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return "/" + strings.Join(parts, "/")
}

// isVersion reports whether s is a Graph API version such as "v23.0".
func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	major, minor, _ := strings.Cut(s[1:], ".")
	return major != "" && strings.Trim(major, "0123456789") == "" && strings.Trim(minor, "0123456789") == ""
}
