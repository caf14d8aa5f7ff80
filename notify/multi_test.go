package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/notify"
)

func TestMulti(t *testing.T) {
	errA, errB := errors.New("a failed"), errors.New("b failed")
	first, last := &recorder{}, &recorder{}
	m := notify.Multi{
		first,
		igtoken.NotifierFunc(func(context.Context, igtoken.Event) error { return errA }),
		nil,
		igtoken.NotifierFunc(func(context.Context, igtoken.Event) error { return errB }),
		last,
	}
	e := event(igtoken.EventNeedsReconnect, "1")
	err := m.Notify(t.Context(), e)
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Errorf("Notify = %v, want both failures joined", err)
	}
	for name, r := range map[string]*recorder{"first": first, "last": last} {
		if diff := cmp.Diff([]igtoken.Event{e}, r.got()); diff != "" {
			t.Errorf("%s notifier (-want +got):\n%s", name, diff)
		}
	}
}

func TestMulti_NoFailures(t *testing.T) {
	if err := (notify.Multi{&recorder{}, &recorder{}}).Notify(t.Context(), event(igtoken.EventRefreshed, "1")); err != nil {
		t.Errorf("Notify = %v, want nil", err)
	}
	if err := (notify.Multi{}).Notify(t.Context(), event(igtoken.EventRefreshed, "1")); err != nil {
		t.Errorf("empty Multi: Notify = %v, want nil", err)
	}
}
