package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newAuthURLCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "auth-url",
		Short: "Print the Instagram authorization URL",
		Long: `Print the URL that asks an Instagram professional account to authorize the app.

Open it in a browser and log in as the account's owner. Instagram redirects to
IGTOKEN_REDIRECT_URI with a code; pass the code, or the whole redirect URL, to
igtoken authenticate --code.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.cfg.RequireApp(); err != nil {
				return err
			}
			m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), m.AuthURL(igtoken.NewState(), a.cfg.Scopes))
			fmt.Fprintln(cmd.ErrOrStderr(), "Open this URL in a browser and authorize the app, then run: igtoken authenticate --code <code or the whole redirect URL>")
			return nil
		},
	}
}
