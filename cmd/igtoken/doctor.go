package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
	"github.com/igtoken/igtoken/internal/config"
)

func newDoctorCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check that everything is ready: configuration, store, key, and every account",
		Long: `Check, in order, that the configuration is complete, that the store opens,
that the encryption key opens the stored tokens, and then for each account:
its status, a live /me call, and a refresh if one is due. It ends with "ready"
(exit status 0) or "not ready" (exit status 1).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{app: a, out: cmd.OutOrStdout()}
			if d.run(cmd.Context()) {
				fmt.Fprintln(d.out, "ready")
				return nil
			}
			fmt.Fprintln(d.out, "not ready")
			return &exitError{code: exitFailure}
		},
	}
}

type doctor struct {
	*app
	out io.Writer
}

// check prints one line of the report: "  name  ok|FAIL|warn — detail".
func (d *doctor) check(name, verdict, detail string) {
	fmt.Fprintf(d.out, "  %-9s %-4s — %s\n", name+":", verdict, detail)
}

func (d *doctor) run(ctx context.Context) bool {
	ready := true
	cfg := d.cfg
	fmt.Fprintln(d.out, "configuration")
	if err := cfg.RequireApp(); err != nil {
		d.check("app", "FAIL", message(err)+" (needed to connect accounts and convert tokens)")
		ready = false
	} else {
		d.check("app", "ok", fmt.Sprintf("%s=%s, %s is set", config.EnvAppID, cfg.AppID, config.EnvAppSecret))
	}
	d.check("meta", "ok", "auth "+cfg.AuthURL+", api "+cfg.APIURL+", graph "+cfg.GraphURL)
	d.check("refresh", "ok", fmt.Sprintf("when fewer than %d days remain, %d at a time",
		int(cfg.RefreshWindow.Hours()/24), cfg.RefreshConcurrency))

	fmt.Fprintln(d.out, "store")
	m, err := d.manager(ctx)
	if err != nil {
		name := "store"
		if errors.Is(err, igtoken.ErrWrongKey) {
			name = "key"
		}
		d.check(name, "FAIL", message(err))
		if h := hint(err); h != "" {
			fmt.Fprintln(d.out, "  hint: "+h)
		}
		return false
	}
	d.check("store", "ok", d.dsnLabel())
	accounts, err := m.Accounts(ctx)
	if err != nil {
		d.check("key", "FAIL", message(err))
		if errors.Is(err, igtoken.ErrWrongKey) {
			fmt.Fprintln(d.out, "  hint: "+hintKey)
		}
		return false
	}
	d.check("key", "ok", d.keySource)

	fmt.Fprintf(d.out, "accounts: %d\n", len(accounts))
	if len(accounts) == 0 {
		fmt.Fprintln(d.out, "  no accounts connected: "+hintConnect)
		return false
	}
	for _, acc := range accounts {
		if !d.account(ctx, m, acc) {
			ready = false
		}
	}
	return ready
}

// account checks one account: status, then a live /me, then a refresh if
// one is due.
func (d *doctor) account(ctx context.Context, m *igtoken.Manager, acc *igtoken.Account) bool {
	fmt.Fprintln(d.out, label(acc.Username, acc.ID))
	rows, err := m.Statuses(ctx, acc.ID)
	if err != nil || len(rows) != 1 {
		d.check("status", "FAIL", message(errors.Join(err, errors.New("no status"))))
		return d.verdict(false, "")
	}
	st := rows[0]
	detail := fmt.Sprintf("%s, %s token", st.State, st.TokenKind)
	if st.ExpiresAt != nil {
		detail += ", expires " + when(st.ExpiresAt)
	}
	if st.DaysLeft != nil {
		detail += " (" + strconv.FormatFloat(*st.DaysLeft, 'f', 1, 64) + " days left)"
	}
	switch st.State {
	case igtoken.StateNeedsReconnect, igtoken.StateExpired:
		if st.ReconnectReason != "" {
			detail += ": " + st.ReconnectReason
		}
		d.check("status", "FAIL", detail)
		return d.verdict(false, hintReauth)
	}
	d.check("status", "ok", detail)

	user, err := m.Validate(ctx, acc.ID)
	if err != nil {
		d.check("validate", "FAIL", message(err))
		return d.verdict(false, hint(err))
	}
	d.check("validate", "ok", "/me answered as "+label(user.Username, user.UserID))

	rep, err := m.Refresh(ctx, igtoken.RunOptions{IDs: []string{acc.ID}, Trigger: igtoken.TriggerCLI})
	if err != nil {
		d.check("refresh", "FAIL", message(err))
		return d.verdict(false, "")
	}
	ok := rep.Failed() == 0
	for _, r := range rep.Results {
		verdict := "ok"
		if r.Failed() {
			verdict = "FAIL"
		}
		line := strings.ReplaceAll(r.Outcome, "_", " ")
		if r.Reason != "" {
			line += ": " + r.Reason
		}
		if r.Error != "" && r.Error != r.Reason {
			line += "; error: " + r.Error
		}
		d.check("refresh", verdict, line)
	}
	h := ""
	if !ok {
		h = "see the refresh line; `igtoken history --account " + acc.ID + "` shows past attempts"
	}
	return d.verdict(ok, h)
}

func (d *doctor) verdict(ok bool, hint string) bool {
	if ok {
		d.check("verdict", "ok", "ready")
		return true
	}
	v := "not ready"
	if hint != "" {
		v += ": " + hint
	}
	d.check("verdict", "FAIL", v)
	return false
}
