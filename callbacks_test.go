package igtoken_test

import (
	"errors"
	"testing"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/emulator"
)

func TestManager_Deauthorize(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	if _, err := e.mgr.Deauthorize(t.Context(), a.AppScopedID); err != nil {
		t.Fatal(err)
	}
	got := e.account(t, a.ID)
	if got.Token.Value != "" || !got.Status.NeedsReconnect {
		t.Errorf("after deauthorize: token kept=%v needs_reconnect=%v", got.Token.Value != "", got.Status.NeedsReconnect)
	}
	if n := e.events.count(igtoken.EventDeauthorized); n != 1 {
		t.Errorf("%d deauthorized events, want 1", n)
	}
	if _, err := e.mgr.Deauthorize(t.Context(), "unknown"); !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
}

func TestManager_DeleteData(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	a := e.login(t, "alice")
	if _, err := e.mgr.DeleteData(t.Context(), a.AppScopedID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Account(t.Context(), a.ID); !errors.Is(err, igtoken.ErrNotFound) {
		t.Errorf("account still stored: %v", err)
	}
	if h, _ := e.store.History(t.Context(), a.ID, 0); len(h) != 0 {
		t.Errorf("%d history entries left", len(h))
	}
}
