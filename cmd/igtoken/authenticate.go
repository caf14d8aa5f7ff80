package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newAuthenticateCmd(a *app) *cobra.Command {
	var code string
	cmd := &cobra.Command{
		Use:   "authenticate --code CODE",
		Short: "Exchange an authorization code for a long-lived token and store it",
		Long: `Exchange the code Instagram put on the redirect URL for a short-lived token,
exchange that at once for a 60-day token, and store it encrypted.

--code takes the bare code, the code with Instagram's trailing "#_", or the
whole redirect URL. A code works once, within an hour.`,
		Example: `  igtoken authenticate --code 'AQBx…#_'
  igtoken authenticate --code 'http://localhost:8080/callback?code=AQBx…&state=…#_'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(code) == "" {
				return usageErrorf(cmd, "--code is required: the code from the redirect URL, or the whole URL")
			}
			if err := a.cfg.RequireApp(); err != nil {
				return err
			}
			m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			res, err := m.Login(cmd.Context(), code)
			if err != nil {
				return err
			}
			acc := res.Account
			verb := "Connected"
			if res.Reconnected {
				verb = "Reconnected"
			}
			exp := acc.Token.ExpiresAt
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s): %s token, expires %s (%d days)\n",
				verb, acc.Username, acc.ID, acc.Token.Kind, day(exp), daysLeft(exp, a.now()))
			if res.ConvertErr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: a short-lived token (valid for one hour) was stored, because the exchange for a long-lived token failed: %s\n", message(res.ConvertErr))
				return &hintedError{
					msg:  "the account is connected with a short-lived token only",
					hint: "run `igtoken convert` within the hour to exchange it for a long-lived token",
					err:  res.ConvertErr,
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "the authorization code, or the whole redirect URL")
	return cmd
}
