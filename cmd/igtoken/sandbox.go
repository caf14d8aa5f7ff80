package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken/emulator"
)

func newSandboxCmd(a *app) *cobra.Command {
	var (
		addr    string
		dataDir string
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the whole system offline: the service, the dashboard and an emulated Instagram",
		Long: `sandbox needs no credentials and no network. It starts igtoken serve on a
built-in emulator of Meta's endpoints, with a fresh database, and prints the
dashboard's URL and admin token. Connect fake accounts, move the emulated
clock forward from the dashboard, and watch tokens come due and get refreshed;
revoke an account to see it turn needs_reconnect, with a notification.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandbox(cmd.Context(), a, addr, dataDir, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address of the service and dashboard")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "keep the sandbox's database here (default: a temporary directory, removed on exit)")
	return cmd
}

func runSandbox(ctx context.Context, a *app, addr, dataDir string, stdout, stderr io.Writer) error {
	addr, err := freeAddr(addr)
	if err != nil {
		return err
	}
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "igtoken-sandbox-"); err != nil {
			return err
		}
		defer os.RemoveAll(dataDir)
	}
	callback := "http://" + addr + "/callback"
	emu := emulator.New(emulator.Config{RedirectURIs: []string{callback}, Logger: a.log})
	defer emu.Close()
	emuURL, stopEmu, err := serveEmulator(emu, stderr)
	if err != nil {
		return err
	}
	defer stopEmu()

	a.cfg.AppID, a.cfg.AppSecret = emulator.DefaultAppID, emulator.DefaultAppSecret
	a.cfg.RedirectURI, a.cfg.Addr = callback, addr
	a.cfg.MetaBaseURL, a.cfg.AuthURL, a.cfg.APIURL, a.cfg.GraphURL = emuURL, emuURL, emuURL, emuURL
	a.cfg.DataDir, a.cfg.DatabaseURL, a.cfg.EncryptionKey = dataDir, "", ""
	a.cfg.RefreshInterval = 30 * time.Second

	svc, err := newService(ctx, a, stderr, emu)
	if err != nil {
		return err
	}
	a.mgr.Now = emu.Now // the dashboard's clock controls move igtoken's clock too
	fmt.Fprintf(stdout, `igtoken sandbox: the service on an emulated Instagram (no credentials, no network)

  dashboard:   http://%s/
  admin token: %s   (the dashboard's password and the API's bearer token)
  emulator:    %s   (state: %s/_emulator/state)
  data:        %s

Try: "Connect an account" (each login is a new fake user), then "+30 days" and
"Run refresh pass now" to see tokens refreshed; "Revoke" an account and move
the clock again to see it turn needs_reconnect. Ctrl-C stops.

`, addr, svc.adminToken, emuURL, emuURL, dataDir)
	return svc.run(ctx, stdout)
}

// freeAddr checks that addr can be listened on; if its port is taken it
// picks a free port on the same host, so the sandbox starts anyway.
func freeAddr(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		host, _, serr := net.SplitHostPort(addr)
		if serr != nil {
			return "", fmt.Errorf("--addr %q: %w", addr, err)
		}
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			return "", fmt.Errorf("--addr %q: %w", addr, err)
		}
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serveEmulator serves emu on a free loopback port.
func serveEmulator(emu *emulator.Server, stderr io.Writer) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start the emulator: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "emulator:", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
