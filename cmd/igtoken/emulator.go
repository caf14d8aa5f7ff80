package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken/emulator"
	"github.com/igtoken/igtoken/internal/config"
)

func newEmulatorCmd(a *app) *cobra.Command {
	var (
		addr, appID, appSecret string
		latency                time.Duration
	)
	cmd := &cobra.Command{
		Use:   "emulator [--addr 127.0.0.1:8090] [--app-id ID] [--app-secret SECRET] [--latency D]",
		Short: "Run a local emulator of Instagram's login and token endpoints",
		Long: `Run a stateful emulator of the Instagram endpoints igtoken uses (authorize,
code exchange, long-lived exchange, refresh, /me) until interrupted, so that
the whole token life cycle can be tried without an Instagram app or network.

Point igtoken at it with the environment lines it prints. Its clock can be
moved forward (POST /_emulator/clock), and igtoken follows it.`,
		Args:        usageArgs(cobra.NoArgs),
		Annotations: map[string]string{annNoConfig: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var lc net.ListenConfig
			ln, err := lc.Listen(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			emu := emulator.New(emulator.Config{AppID: appID, AppSecret: appSecret, Latency: latency, Logger: a.log})
			srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
			base := "http://" + ln.Addr().String()
			printEmulatorHelp(cmd, base, appID, appSecret)

			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			emu.Close() // release requests sleeping in a latency or a hang
			shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "emulator stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8090", "listen address")
	cmd.Flags().StringVar(&appID, "app-id", emulator.DefaultAppID, "the emulated app's id")
	cmd.Flags().StringVar(&appSecret, "app-secret", emulator.DefaultAppSecret, "the emulated app's secret")
	cmd.Flags().DurationVar(&latency, "latency", 0, "delay every answer by this much, e.g. 200ms")
	return cmd
}

func printEmulatorHelp(cmd *cobra.Command, base, appID, appSecret string) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Instagram emulator listening on %s\n\n", base)
	fmt.Fprintln(out, "Point igtoken at it:")
	fmt.Fprintf(out, "  export %s=%s\n", config.EnvMetaBaseURL, base)
	fmt.Fprintf(out, "  export %s=%s\n", config.EnvAppID, appID)
	fmt.Fprintf(out, "  export %s=%s\n", config.EnvAppSecret, appSecret)
	fmt.Fprintf(out, "  export %s=%s\n", config.EnvRedirectURI, emulator.DefaultRedirectURI)
	fmt.Fprintf(out, `
Then walk through the life of a token:
  1. igtoken auth-url
     Open the URL. The emulator consents at once and redirects to
     %[2]s?code=…#_ (nothing listens there: copy the URL from the
     address bar). Add &emulator_user=alice to the URL to log in as alice.
  2. igtoken authenticate --code '<the whole redirect URL>'
  3. igtoken status
  4. Move the clock 31 days forward, into the refresh window:
       curl -X POST %[1]s/_emulator/clock -d '{"advance":"31d"}'
  5. igtoken auto-refresh --dry-run, then igtoken auto-refresh
  6. igtoken token
  7. Use the token. A user must have written to the account within 24 hours:
       curl -X POST %[1]s/_emulator/users/alice/window -d '{"igsid":"42"}'
       igtoken send --to 42 --text hello
     and a Reel from a URL (the emulator does not fetch it):
       igtoken publish --video https://example.com/clip.mp4 --wait
Emulator state (users, clock, calls; never tokens): %[1]s/_emulator/state
Press Ctrl-C to stop.
`, base, emulator.DefaultRedirectURI)
}
