package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newValidateCmd(a *app) *cobra.Command {
	var account string
	cmd := &cobra.Command{
		Use:   "validate [--account ID|USERNAME]",
		Short: "Check tokens with a live call to Instagram",
		Long: `Check each stored token (or one, with --account) with a live GET /me call.

A token Instagram rejects for good (error 190) marks its account
needs_reconnect. The exit status is 1 if any account failed.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			var accounts []*igtoken.Account
			if account != "" {
				acc, err := a.resolve(ctx, m, account)
				if err != nil {
					return err
				}
				accounts = []*igtoken.Account{acc}
			} else if accounts, err = m.Accounts(ctx); err != nil {
				return err
			}
			if len(accounts) == 0 {
				return errNoAccounts
			}
			out := cmd.OutOrStdout()
			failed, reauth := 0, false
			for _, acc := range accounts {
				name := orDash(acc.Username)
				user, err := m.Validate(ctx, acc.ID)
				if err != nil {
					failed++
					reauth = reauth || isReauth(err)
					fmt.Fprintf(out, "%s: failed — %s\n", name, message(err))
					continue
				}
				details := []string{"/me answered as " + label(user.Username, user.UserID)}
				if user.AccountType != "" {
					details = append(details, strings.ToLower(user.AccountType)+" account")
				}
				if !acc.Token.ExpiresAt.IsZero() {
					details = append(details, fmt.Sprintf("token expires %s (%d days)", day(acc.Token.ExpiresAt), daysLeft(acc.Token.ExpiresAt, a.now())))
				}
				fmt.Fprintf(out, "%s: ok — %s\n", name, strings.Join(details, ", "))
			}
			if failed == 0 {
				return nil
			}
			h := "see the lines above"
			if reauth {
				h = hintReauth
			}
			return withHint(fmt.Errorf("%d of %d account%s failed validation", failed, len(accounts), plural(len(accounts))), h)
		},
	}
	addAccountFlag(cmd, &account, "validate only this account")
	return cmd
}
