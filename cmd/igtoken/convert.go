package main

import (
	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newConvertCmd(a *app) *cobra.Command {
	var (
		account          string
		checkOnly, force bool
	)
	cmd := &cobra.Command{
		Use:   "convert [--account ID|USERNAME] [--check-only] [--force]",
		Short: "Exchange short-lived tokens for long-lived ones",
		Long: `Exchange every stored short-lived (one-hour) token, or one account's with
--account, for a long-lived (60-day) token.

--check-only shows each account's token and what would be done, and changes
nothing. --force exchanges long-lived tokens too. The exit status is 1 if any
account failed.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !checkOnly {
				if err := a.cfg.RequireApp(); err != nil {
					return err
				}
			}
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			ids, err := a.selectIDs(ctx, m, account)
			if err != nil {
				return err
			}
			rep, err := m.Convert(ctx, igtoken.RunOptions{IDs: ids, Force: force, DryRun: checkOnly, Trigger: igtoken.TriggerCLI})
			if err != nil {
				return err
			}
			printResults(cmd.OutOrStdout(), rep, igtoken.ActionConvert, checkOnly)
			return failedRun(rep)
		},
	}
	addAccountFlag(cmd, &account, "convert only this account")
	cmd.Flags().BoolVar(&checkOnly, "check-only", false, "say what would be converted; change nothing")
	cmd.Flags().BoolVar(&force, "force", false, "exchange long-lived tokens too")
	return cmd
}
