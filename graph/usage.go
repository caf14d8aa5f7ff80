package graph

import (
	"encoding/json"
	"net/http"
	"time"
)

// Usage is how close the app and the account are to Meta's rate limits, as
// the last answer's headers said (§4). Throttling starts at 100 %.
type Usage struct {
	// App is the highest percentage in X-App-Usage (call_count,
	// total_time, total_cputime); -1 if the header was absent.
	App int
	// Business is the highest percentage in X-Business-Use-Case-Usage,
	// over every business object and type; -1 if the header was absent.
	Business int
	// RegainAccess is the longest estimated_time_to_regain_access of
	// X-Business-Use-Case-Usage, which Meta gives in minutes.
	RegainAccess time.Duration
}

// Percent is the higher of App and Business: the one that throttles first.
func (u Usage) Percent() int { return max(u.App, u.Business) }

// Known reports whether either usage header was present.
func (u Usage) Known() bool { return u.App >= 0 || u.Business >= 0 }

// usageCounts are the percentages both headers share (§4).
type usageCounts struct {
	CallCount    int `json:"call_count"`
	TotalTime    int `json:"total_time"`
	TotalCPUTime int `json:"total_cputime"`
}

func (c usageCounts) max() int { return max(c.CallCount, c.TotalTime, c.TotalCPUTime) }

// ParseUsage reads X-App-Usage and X-Business-Use-Case-Usage from h (§4).
// A header that is absent or does not parse reads -1.
func ParseUsage(h http.Header) Usage {
	u := Usage{App: -1, Business: -1}
	var app usageCounts
	if v := h.Get("X-App-Usage"); v != "" && json.Unmarshal([]byte(v), &app) == nil {
		u.App = app.max()
	}
	var buc map[string][]struct {
		usageCounts
		RegainAccess int `json:"estimated_time_to_regain_access"` // minutes
	}
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" && json.Unmarshal([]byte(v), &buc) == nil {
		u.Business = 0
		for _, entries := range buc {
			for _, e := range entries {
				u.Business = max(u.Business, e.max())
				u.RegainAccess = max(u.RegainAccess, time.Duration(e.RegainAccess)*time.Minute)
			}
		}
	}
	return u
}

// LastUsage returns the usage headers (§4) of the last answer that carried
// any; ok is false before the first.
func (c *Client) LastUsage() (u Usage, ok bool) {
	if p := c.lastUsage.Load(); p != nil {
		return *p, true
	}
	return Usage{}, false
}

// recordUsage keeps the usage headers of an answer, if it has any.
func (c *Client) recordUsage(h http.Header) {
	if u := ParseUsage(h); u.Known() {
		c.lastUsage.Store(&u)
	}
}
