package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newSendCmd(a *app) *cobra.Command {
	var account, to, text string
	cmd := &cobra.Command{
		Use:   "send [--account ID|USERNAME] --to IGSID --text TEXT",
		Short: "Send an Instagram direct message",
		Long: `Send a text message from the account to the user with the Instagram-scoped
id IGSID, and print the message id.

Instagram accepts it only within 24 hours of the user's last message to the
account; outside that window the command fails, and the token is fine. If
Instagram says the token is stale, igtoken recovers it and sends once more:
a message is never sent twice.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" || text == "" {
				return usageErrorf(cmd, "--to and --text are required")
			}
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			acc, err := a.resolve(ctx, m, account)
			if err != nil {
				return err
			}
			messageID, err := m.SendMessage(ctx, acc.ID, to, text)
			if errors.Is(err, igtoken.ErrOutsideWindow) {
				return &hintedError{
					msg:  err.Error() + "; not a token problem",
					hint: "Instagram lets an account answer only within 24 hours of the user's last message; wait for the user to write",
					err:  err,
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", label(acc.Username, acc.ID), err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), messageID)
			return err
		},
	}
	addAccountFlag(cmd, &account, "the sending account (needed when several are stored)")
	cmd.Flags().StringVar(&to, "to", "", "the recipient's Instagram-scoped id (IGSID)")
	cmd.Flags().StringVar(&text, "text", "", "the message, at most 1000 bytes")
	return cmd
}
