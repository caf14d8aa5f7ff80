package graph_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/graph"
)

func TestParseUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header map[string]string
		want   graph.Usage
	}{
		{name: "None", want: graph.Usage{App: -1, Business: -1}},
		{
			name:   "App",
			header: map[string]string{"X-App-Usage": `{"call_count": 28, "total_time": 45, "total_cputime": 25}`},
			want:   graph.Usage{App: 45, Business: -1},
		},
		{
			name: "Business",
			header: map[string]string{"X-Business-Use-Case-Usage": `{"17841400000000001":[{"type":"instagram","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":19}],
				"10153848260347724":[{"type":"pages","call_count":97,"total_cputime":23,"total_time":23,"estimated_time_to_regain_access":0}]}`},
			want: graph.Usage{App: -1, Business: 100, RegainAccess: 19 * time.Minute},
		},
		{
			name:   "Malformed",
			header: map[string]string{"X-App-Usage": `{"call_count":`, "X-Business-Use-Case-Usage": `[]`},
			want:   graph.Usage{App: -1, Business: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := graph.ParseUsage(h); got != tt.want {
				t.Errorf("ParseUsage() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestClient_LastUsage_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{})
	token := emu.IssueToken("alice", true)
	if _, ok := c.LastUsage(); ok {
		t.Error("LastUsage before any call: ok = true")
	}
	emu.SetUsage(50, 95)
	if _, err := c.PublishingLimit(t.Context(), token, ""); err != nil {
		t.Fatalf("PublishingLimit at 95 %%: %v", err)
	}
	if u, ok := c.LastUsage(); !ok || u.App != 50 || u.Business != 95 || u.Percent() != 95 || u.RegainAccess != 0 {
		t.Errorf("LastUsage() = %+v, %v; want app 50, business 95", u, ok)
	}
	emu.SetUsage(-1, 100)
	_, err := c.PublishingLimit(t.Context(), token, "")
	if !graph.IsTransient(err) {
		t.Errorf("throttled call: err = %v, want transient", err)
	}
	if u, _ := c.LastUsage(); u.Business != 100 || u.RegainAccess <= 0 {
		t.Errorf("LastUsage() after a throttled call = %+v; want business 100 and a time to regain access", u)
	}
}
