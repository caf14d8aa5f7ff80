package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/dashboard"
	"github.com/igtoken/igtoken/internal/metrics"
	"github.com/igtoken/igtoken/internal/server"
	"github.com/igtoken/igtoken/notify"
)

// graphCallsPerSecond bounds the Graph calls of one serve process, so a
// thousand due tokens never become a thousand simultaneous calls (§4).
const graphCallsPerSecond = 50

func newServeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP service: web login, refresh daemon, admin API, dashboard",
		Long: `serve runs igtoken as a service. Users connect at /connect and come back to
the path of IGTOKEN_REDIRECT_URI; a refresh pass runs at start and every
IGTOKEN_REFRESH_INTERVAL; the admin API (/api/v1/, bearer IGTOKEN_ADMIN_TOKEN)
and the dashboard (/) show every account; /healthz, /readyz and /metrics are
for operators. SIGTERM stops claiming work, finishes refreshes in flight and
exits 0.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.cfg.RequireApp(); err != nil {
				return err
			}
			svc, err := newService(cmd.Context(), a, cmd.ErrOrStderr(), nil)
			if err != nil {
				return err
			}
			return svc.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&a.noMigrate, "no-migrate", false, "do not apply schema migrations at start (PostgreSQL; run `igtoken migrate` instead)")
	return cmd
}

// service is serve's wiring: the Manager with its notifiers, the refresh
// daemon, metrics, dashboard and HTTP server.
type service struct {
	srv        *server.Server
	adminToken string
	refresher  *igtoken.Refresher
	notifier   *notify.Async // nil without a webhook
}

// newService builds the service; sandbox passes its emulator as sb.
func newService(ctx context.Context, a *app, stderr io.Writer, sb dashboard.Sandbox) (*service, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	met := metrics.New(reg)
	a.transport = met.InstrumentTransport(&limitedTransport{
		base:    http.DefaultTransport,
		limiter: rate.NewLimiter(graphCallsPerSecond, graphCallsPerSecond),
	})
	m, err := a.manager(ctx)
	if err != nil {
		return nil, err
	}
	svc := &service{}
	m.Notifier = svc.notifiers(a, met)
	svc.refresher = &igtoken.Refresher{Manager: m, Interval: a.cfg.RefreshInterval, OnPass: met.ObservePass}
	adminToken := a.cfg.AdminToken
	if adminToken == "" {
		adminToken = server.GenerateAdminToken()
		if sb == nil { // the sandbox prints it in its banner
			fmt.Fprintf(stderr, "admin token (generated; set IGTOKEN_ADMIN_TOKEN to keep one): %s\n", adminToken)
		}
	}
	svc.adminToken = adminToken
	dash, err := dashboard.New(dashboard.Config{
		AdminToken: adminToken, Logger: a.log, Sandbox: sb,
		RunPass: func(ctx context.Context) error { _, err := svc.refresher.Pass(ctx); return err },
	}, m)
	if err != nil {
		return nil, err
	}
	svc.srv, err = server.New(server.Config{
		Addr: a.cfg.Addr, AdminToken: adminToken, RedirectURI: a.cfg.RedirectURI, AppSecret: a.cfg.AppSecret,
		StateSecret: stateSecret(a.cfg.AppSecret),
		Scopes:      a.cfg.Scopes, Logger: a.log, Registry: reg, Metrics: met, Refresher: svc.refresher, Dashboard: dash,
	}, m)
	if err != nil {
		return nil, err
	}
	return svc, nil
}

// stateSecret derives the key that signs OAuth states from the app secret,
// which every replica has, so a login started on one replica can finish on
// another.
func stateSecret(appSecret string) []byte {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte("igtoken oauth state v1"))
	return mac.Sum(nil)
}

// notifiers sends every event to the log and the metrics, and to the
// webhook when one is configured (asynchronously: a slow receiver never
// holds up a refresh).
func (s *service) notifiers(a *app, met *metrics.Metrics) igtoken.Notifier {
	all := notify.Multi{notify.Log{Logger: a.log}, met}
	if a.cfg.WebhookURL == "" {
		return all
	}
	if a.cfg.WebhookSecret == "" {
		a.log.Warn("IGTOKEN_WEBHOOK_SECRET is not set: webhook deliveries are unsigned")
	}
	s.notifier = notify.NewAsync(&notify.Webhook{URL: a.cfg.WebhookURL, Secret: a.cfg.WebhookSecret, Logger: a.log}, 1024, a.log)
	return append(all, s.notifier)
}

// run serves until ctx ends, with the refresh daemon beside the server.
func (s *service) run(ctx context.Context, stdout io.Writer) error {
	if err := s.srv.Open(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "igtoken serving on http://%s\n", s.srv.Addr())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.refresher.Run(ctx)
	}()
	err := s.srv.Serve(ctx)
	<-done // refreshes in flight finish before the store closes
	if s.notifier != nil {
		drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = errors.Join(err, s.notifier.Close(drain))
	}
	return err
}

// limitedTransport waits for the rate limiter before every request.
type limitedTransport struct {
	base    http.RoundTripper
	limiter *rate.Limiter
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.Wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}
