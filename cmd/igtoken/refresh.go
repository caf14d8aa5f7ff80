package main

import (
	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newRefreshCmd(a *app) *cobra.Command {
	var (
		account   string
		checkOnly bool
	)
	cmd := &cobra.Command{
		Use:   "refresh [--account ID|USERNAME] [--check-only]",
		Short: "Refresh tokens that are due now",
		Long: `Refresh every token that is due (or one account's, with --account): a
long-lived token with fewer than IGTOKEN_REFRESH_WINDOW_DAYS days left that is
at least 24 hours old, as Instagram requires. A short-lived token is exchanged
for a long-lived one.

--check-only says what would be done, and changes nothing. The exit status
is 1 if any account failed.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			ids, err := a.selectIDs(ctx, m, account)
			if err != nil {
				return err
			}
			rep, err := m.Refresh(ctx, igtoken.RunOptions{IDs: ids, DryRun: checkOnly, Trigger: igtoken.TriggerCLI})
			if err != nil {
				return err
			}
			printResults(cmd.OutOrStdout(), rep, igtoken.ActionRefresh, checkOnly)
			return failedRun(rep)
		},
	}
	addAccountFlag(cmd, &account, "refresh only this account")
	cmd.Flags().BoolVar(&checkOnly, "check-only", false, "say what would be refreshed; change nothing")
	return cmd
}
