package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

func newRemoveCmd(a *app) *cobra.Command {
	var (
		account string
		yes     bool
	)
	cmd := &cobra.Command{
		Use:   "remove --account ID|USERNAME [--yes]",
		Short: "Forget an account, its token and its history",
		Long: `Forget an account: its token and its history are deleted from the store.
The token itself stays valid at Instagram until it expires or the user removes
the app.

Without --yes, igtoken asks for confirmation when standard input is a
terminal, and refuses otherwise.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if account == "" {
				return usageErrorf(cmd, "--account is required: name the account to remove")
			}
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			acc, err := m.Resolve(ctx, account)
			if err != nil {
				return err
			}
			name := label(acc.Username, acc.ID)
			if !yes {
				if !isTerminal(cmd.InOrStdin()) {
					return usageErrorf(cmd, "refusing to remove %s without --yes: standard input is not a terminal", name)
				}
				ok, err := confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf("Remove %s, its token and its history? [y/N] ", name))
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintln(cmd.ErrOrStderr(), "Nothing removed.")
					return &exitError{code: exitFailure}
				}
			}
			if err := m.Remove(ctx, acc.ID); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removed %s.\n", name)
			return nil
		},
	}
	addAccountFlag(cmd, &account, "the account to remove (required)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// isTerminal reports whether r is a terminal (not merely a character
// device such as /dev/null).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func confirm(in io.Reader, out io.Writer, prompt string) (bool, error) {
	fmt.Fprint(out, prompt)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
