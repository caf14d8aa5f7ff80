package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newAutoRefreshCmd(a *app) *cobra.Command {
	var (
		days                   int
		dryRun, forceAll, json bool
	)
	cmd := &cobra.Command{
		Use:   "auto-refresh [--days-before-expiry N] [--dry-run] [--force-all] [--json]",
		Short: "Refresh every token that is due: the entry point for cron and systemd",
		Long: `Refresh every long-lived token that expires within the refresh window
(IGTOKEN_REFRESH_WINDOW_DAYS, or --days-before-expiry) and is at least 24 hours
old, and exchange short-lived tokens for long-lived ones. Run it daily from
cron or a systemd timer.

--force-all refreshes every token at least 24 hours old, whatever its expiry.
--dry-run says what would be done and changes nothing. The exit status is 1 if
any account failed, so that cron and systemd report it.`,
		Example: `  # crontab: every day at 03:00
  0 3 * * * igtoken auto-refresh`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt := igtoken.RunOptions{DryRun: dryRun, Force: forceAll, Trigger: igtoken.TriggerCron}
			if cmd.Flags().Changed("days-before-expiry") {
				if days < 1 || days > 59 {
					return usageErrorf(cmd, "--days-before-expiry %d: want a whole number of days between 1 and 59", days)
				}
				opt.Window = time.Duration(days) * 24 * time.Hour
			}
			m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			rep, err := m.Refresh(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if json {
				if err := writeJSON(cmd.OutOrStdout(), newReportJSON(rep)); err != nil {
					return err
				}
			} else {
				printResults(cmd.OutOrStdout(), rep, igtoken.ActionRefresh, dryRun)
			}
			return failedRun(rep)
		},
	}
	cmd.Flags().IntVar(&days, "days-before-expiry", 0, "refresh tokens that expire within N days (default IGTOKEN_REFRESH_WINDOW_DAYS)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be refreshed; change nothing")
	cmd.Flags().BoolVar(&forceAll, "force-all", false, "refresh every token at least 24 hours old, whatever its expiry")
	cmd.Flags().BoolVar(&json, "json", false, "print the report as JSON")
	return cmd
}
