package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

// historyJSON is one history entry in `history --json`. It holds no token,
// only a fingerprint.
type historyJSON struct {
	ID           int64      `json:"id"`
	AccountID    string     `json:"account_id"`
	Username     string     `json:"username"`
	At           time.Time  `json:"at"`
	Trigger      string     `json:"trigger"`
	Outcome      string     `json:"outcome"`
	GraphCode    int        `json:"graph_code,omitempty"`
	GraphSubcode int        `json:"graph_subcode,omitempty"`
	Error        *string    `json:"error"`
	OldExpiresAt *time.Time `json:"old_expires_at"`
	NewExpiresAt *time.Time `json:"new_expires_at"`
	Fingerprint  string     `json:"fingerprint"`
}

func newHistoryCmd(a *app) *cobra.Command {
	var (
		account string
		asJSON  bool
		limit   int
	)
	cmd := &cobra.Command{
		Use:   "history [--account ID|USERNAME] [--json] [--limit N]",
		Short: "Show the history of logins, refreshes and conversions, newest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usageErrorf(cmd, "--limit %d: want 0 (no limit) or more", limit)
			}
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			accounts, err := m.Accounts(ctx)
			if err != nil {
				return err
			}
			names := make(map[string]string, len(accounts))
			for _, acc := range accounts {
				names[acc.ID] = acc.Username
			}
			id := ""
			if account != "" {
				acc, err := a.resolve(ctx, m, account)
				if err != nil {
					return err
				}
				id = acc.ID
			}
			entries, err := m.History(ctx, id, limit)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				rows := make([]historyJSON, len(entries))
				for i, h := range entries {
					rows[i] = newHistoryJSON(h, names[h.AccountID])
				}
				return writeJSON(out, rows)
			}
			if len(entries) == 0 {
				fmt.Fprintln(out, "No history yet.")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tACCOUNT\tTRIGGER\tOUTCOME\tOLD EXPIRY\tNEW EXPIRY\tTOKEN\tERROR")
			for _, h := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when(&h.At), label(names[h.AccountID], h.AccountID),
					h.Trigger, h.Outcome, when(timePtr(h.OldExpiresAt)), when(timePtr(h.NewExpiresAt)),
					orDash(h.Fingerprint), orDash(oneLine(h.Error, 60)))
			}
			return tw.Flush()
		},
	}
	addAccountFlag(cmd, &account, "show only this account's history")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most N entries (0: all)")
	return cmd
}

func newHistoryJSON(h igtoken.HistoryEntry, username string) historyJSON {
	r := historyJSON{
		ID: h.ID, AccountID: h.AccountID, Username: username, At: h.At.UTC(),
		Trigger: string(h.Trigger), Outcome: string(h.Outcome),
		GraphCode: h.GraphCode, GraphSubcode: h.GraphSubcode,
		OldExpiresAt: timePtr(h.OldExpiresAt), NewExpiresAt: timePtr(h.NewExpiresAt),
		Fingerprint: h.Fingerprint,
	}
	if h.Error != "" {
		e := h.Error
		r.Error = &e
	}
	return r
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
