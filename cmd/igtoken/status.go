package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newStatusCmd(a *app) *cobra.Command {
	var (
		account string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "status [--account ID|USERNAME] [--json]",
		Short: "Show every account's token: kind, state, expiry, refreshes, last error",
		Long: `Show every stored account (or one, with --account): the token's kind and
state, when it expires and how many days are left, the last and next refresh,
and the last error. No call is made to Instagram; igtoken validate does that.

--json prints an array of objects with the keys account_id, username,
token_kind, state, expires_at, issued_at, last_refreshed_at, next_refresh_at,
days_left, refresh_count and last_error.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			var ids []string
			if account != "" {
				acc, err := a.resolve(ctx, m, account)
				if err != nil {
					return err
				}
				ids = []string{acc.ID}
			}
			rows, err := m.Statuses(ctx, ids...)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if rows == nil {
					rows = []igtoken.AccountStatus{}
				}
				return writeJSON(out, rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(out, "No accounts yet. To connect one, run `igtoken auth-url`, open the URL, then `igtoken authenticate --code <code or the whole redirect URL>`.")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tUSERNAME\tKIND\tSTATE\tEXPIRES\tDAYS LEFT\tLAST REFRESH\tNEXT REFRESH\tLAST ERROR")
			for _, r := range rows {
				days := "-"
				if r.DaysLeft != nil {
					days = strconv.FormatFloat(*r.DaysLeft, 'f', 1, 64)
				}
				lastErr := "-"
				if r.LastError != nil {
					lastErr = oneLine(*r.LastError, 60)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.AccountID, orDash(r.Username), orDash(string(r.TokenKind)),
					r.State, when(r.ExpiresAt), days, when(r.LastRefreshedAt), when(r.NextRefreshAt), lastErr)
			}
			return tw.Flush()
		},
	}
	addAccountFlag(cmd, &account, "show only this account")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
