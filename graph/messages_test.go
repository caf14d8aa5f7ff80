package graph_test

import (
	"errors"
	"testing"

	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/graph"
)

func TestClient_SendMessage_Emulator(t *testing.T) {
	t.Parallel()
	emu, c := mustOpenEmulator(t, emulator.Config{})
	token := emu.IssueToken("alice", true)
	u, _ := emu.User("alice")

	t.Run("OK", func(t *testing.T) {
		emu.OpenWindow("alice", "900001")
		for _, node := range []string{u.InstagramID, ""} {
			got, err := c.SendMessage(t.Context(), token, node, "900001", "hello")
			if err != nil {
				t.Fatalf("SendMessage(%q): %v", node, err)
			}
			if got.RecipientID != "900001" || got.MessageID == "" {
				t.Errorf("SendMessage(%q) = %+v", node, got)
			}
		}
		msgs := emu.Messages("alice")
		if len(msgs) != 2 || msgs[0].Text != "hello" || msgs[0].Recipient != "900001" {
			t.Errorf("emulator messages = %+v", msgs)
		}
		if u, ok := c.LastUsage(); !ok || u.App < 0 || u.Business < 0 {
			t.Errorf("LastUsage() = %+v, %v; want both headers read", u, ok)
		}
	})

	t.Run("OutsideWindow", func(t *testing.T) {
		_, err := c.SendMessage(t.Context(), token, u.InstagramID, "900002", "hello")
		if !graph.IsOutsideWindow(err) {
			t.Fatalf("err = %v, want outside the window", err)
		}
		if graph.NeedsReconnect(err) || graph.IsTransient(err) {
			t.Errorf("window error: NeedsReconnect = %v, IsTransient = %v, want false, false",
				graph.NeedsReconnect(err), graph.IsTransient(err))
		}
	})

	t.Run("Revoked", func(t *testing.T) {
		emu.OpenWindow("bob", "900003")
		bobToken := emu.IssueToken("bob", true)
		emu.Revoke("bob", 460)
		_, err := c.SendMessage(t.Context(), bobToken, "", "900003", "hello")
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.Code != 190 || !graph.NeedsReconnect(err) || graph.IsOutsideWindow(err) {
			t.Fatalf("err = %v, want a 190 that needs a reconnect", err)
		}
		noSecret(t, err, bobToken)
	})
}
