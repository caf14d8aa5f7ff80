package igtoken

import (
	"testing"
	"time"

	"github.com/igtoken/igtoken/graph"
)

func TestPacer(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		usage graph.Usage
		cause error
		want  time.Duration
	}{
		{"Low", graph.Usage{App: 40, Business: 60}, nil, 0},
		{"AppAt89", graph.Usage{App: 89, Business: -1}, nil, 0},
		{"AppAt90", graph.Usage{App: 90, Business: -1}, nil, paceStep},
		{"AccountAt99", graph.Usage{App: 10, Business: 99}, nil, 10 * paceStep},
		{"ThrottledWithEstimate", graph.Usage{App: 100, Business: 100, RegainAccess: 3 * time.Minute},
			&graph.Error{Code: 80002}, 3 * time.Minute},
		{"ThrottledWithoutHeaders", graph.Usage{App: -1, Business: -1}, &graph.Error{Code: 17}, time.Minute},
		{"CappedWait", graph.Usage{App: 100, Business: 100, RegainAccess: time.Hour}, &graph.Error{Code: 4}, paceMaxWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p pacer
			p.observe("1", tt.usage, tt.usage.Known(), tt.cause, now)
			if got := p.wait("1", now); got != tt.want {
				t.Errorf("wait = %v, want %v", got, tt.want)
			}
		})
	}
	var p pacer
	p.observe("1", graph.Usage{App: 10, Business: 99}, true, nil, now)
	if got := p.wait("2", now); got != 0 {
		t.Errorf("another account waits %v after account 1 neared its limit, want 0", got)
	}
	p.observe("1", graph.Usage{App: 100, Business: 100, RegainAccess: time.Minute}, true, &graph.Error{Code: 4}, now)
	if got := p.wait("2", now); got != time.Minute {
		t.Errorf("after an app-wide throttle (code 4) another account waits %v, want 1m", got)
	}
	if got := p.wait("1", now.Add(2*time.Minute)); got != 10*paceStep+paceStep {
		t.Errorf("after the regain time, wait = %v, want the usage delay %v", got, 11*paceStep)
	}
}
