package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newTokenCmd(a *app) *cobra.Command {
	var account string
	cmd := &cobra.Command{
		Use:   "token [--account ID|USERNAME]",
		Short: "Print a usable access token",
		Long: `Print the account's access token, and a newline, on standard output, for
scripts:

  curl -H "Authorization: Bearer $(igtoken token --account alice)" …

This is the only command that prints a token. It fails, printing nothing on
standard output, if the token has expired or the account must reconnect.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			acc, err := a.resolve(ctx, m, account)
			if err != nil {
				return err
			}
			tok, err := m.Token(ctx, acc.ID)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok.Value)
			return err
		},
	}
	addAccountFlag(cmd, &account, "the account (needed when several are stored)")
	return cmd
}
