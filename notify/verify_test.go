package notify_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/igtoken/igtoken/notify"
)

// TestVerify_StandardWebhooksVector checks interoperability, not just
// agreement with our own signer: the test vector published with the
// Standard Webhooks reference libraries must verify.
func TestVerify_StandardWebhooksVector(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)
	if err := notify.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, body, 0, time.Unix(1614265330, 0)); err != nil {
		t.Errorf("Verify(reference vector) = %v, want nil", err)
	}
}

func TestVerify(t *testing.T) {
	// One real signed request to vary.
	rc := newReceiver(t, nil)
	if err := newWebhook(rc.URL, rawSecret).Notify(t.Context(), sampleEvent()); err != nil {
		t.Fatal(err)
	}
	good := rc.requests()[0]

	with := func(key, value string) http.Header {
		h := good.header.Clone()
		if value == "" {
			h.Del(key)
		} else {
			h.Set(key, value)
		}
		return h
	}
	sig := good.header.Get("webhook-signature")

	tests := []struct {
		name   string
		secret string
		header http.Header
		body   string
		now    time.Time
		want   error // nil, or what errors.Is must match
		fails  bool
	}{
		{name: "OK", secret: rawSecret, header: good.header, body: string(good.body), now: t0},
		{name: "OKWithinTolerance", secret: rawSecret, header: good.header, body: string(good.body), now: t0.Add(59 * time.Second)},
		{name: "OKOneOfSeveral", secret: rawSecret, header: with("webhook-signature", "v1,bm9wZQ== "+sig), body: string(good.body), now: t0},
		{name: "TamperedBody", secret: rawSecret, header: good.header, body: string(good.body) + " ", now: t0, want: notify.ErrSignature},
		{name: "WrongSecret", secret: "another-secret", header: good.header, body: string(good.body), now: t0, want: notify.ErrSignature},
		{name: "OtherID", secret: rawSecret, header: with("webhook-id", "msg_other"), body: string(good.body), now: t0, want: notify.ErrSignature},
		{name: "ShiftedTimestamp", secret: rawSecret, header: with("webhook-timestamp", "1772366401"), body: string(good.body), now: t0, want: notify.ErrSignature},
		{name: "OtherVersion", secret: rawSecret, header: with("webhook-signature", "v2,"+sig[3:]), body: string(good.body), now: t0, want: notify.ErrSignature},
		{name: "MissingSignature", secret: rawSecret, header: with("webhook-signature", ""), body: string(good.body), now: t0, want: notify.ErrSignature},
		{name: "MissingID", secret: rawSecret, header: with("webhook-id", ""), body: string(good.body), now: t0, want: notify.ErrSignature},
		{name: "MalformedTimestamp", secret: rawSecret, header: with("webhook-timestamp", "soon"), body: string(good.body), now: t0, want: notify.ErrSignature},
		{name: "TooOld", secret: rawSecret, header: good.header, body: string(good.body), now: t0.Add(61 * time.Second), want: notify.ErrTimestamp},
		{name: "TooNew", secret: rawSecret, header: good.header, body: string(good.body), now: t0.Add(-61 * time.Second), want: notify.ErrTimestamp},
		{name: "EmptySecret", secret: "", header: good.header, body: string(good.body), now: t0, fails: true},
		{name: "BadWhsec", secret: "whsec_%%%", header: good.header, body: string(good.body), now: t0, fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.Verify(tt.secret, tt.header, []byte(tt.body), time.Minute, tt.now)
			switch {
			case tt.want == nil && !tt.fails && err != nil:
				t.Errorf("Verify = %v, want nil", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("Verify = %v, want %v", err, tt.want)
			case tt.fails && err == nil:
				t.Error("Verify = nil, want an error")
			}
		})
	}
}

func TestVerify_DefaultTolerance(t *testing.T) {
	rc := newReceiver(t, nil)
	if err := newWebhook(rc.URL, rawSecret).Notify(t.Context(), sampleEvent()); err != nil {
		t.Fatal(err)
	}
	r := rc.requests()[0]
	if err := notify.Verify(rawSecret, r.header, r.body, 0, t0.Add(notify.DefaultTolerance-time.Second)); err != nil {
		t.Errorf("inside the default tolerance: %v", err)
	}
	if err := notify.Verify(rawSecret, r.header, r.body, 0, t0.Add(notify.DefaultTolerance+time.Second)); !errors.Is(err, notify.ErrTimestamp) {
		t.Errorf("outside the default tolerance: %v, want ErrTimestamp", err)
	}
}
