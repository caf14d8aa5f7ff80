package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/igtoken/igtoken"
)

func newImportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Bring existing tokens in from a file (or - for standard input)",
		Long: `Bring existing tokens in: a JSON array of objects, JSON lines (one object a
line), or the seed workflow's config/api_keys.json.

Each object has access_token (required), kind ("short-lived" or "long-lived",
default long-lived), and optionally account_id, username, issued_at and
expires_at (RFC 3339 or Unix seconds). A missing identity is looked up with a
live /me call.

The import is all or nothing: if any entry is bad, nothing is stored and the
error names the line or entry.`,
		Example: `  igtoken import tokens.jsonl
  igtoken import config/api_keys.json
  some-export | igtoken import -`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			items, err := igtoken.ParseImport(r)
			if err != nil {
				return withHint(fmt.Errorf("%s: %w", args[0], err), "nothing was stored; fix the entries named above and import the file again")
			}
			ctx := cmd.Context()
			m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			rep, err := m.Import(ctx, items)
			if err != nil {
				return withHint(err, "nothing was stored; fix or remove the entries named above and import the file again")
			}
			out := cmd.OutOrStdout()
			for _, res := range rep.Results {
				fmt.Fprintln(out, resultLine(res))
			}
			fmt.Fprintf(out, "%d imported, %d skipped, %d failed\n",
				rep.Count(string(igtoken.OutcomeImported)), rep.Count(igtoken.ResultSkipped), rep.Failed())
			return failedRun(rep)
		},
	}
}
